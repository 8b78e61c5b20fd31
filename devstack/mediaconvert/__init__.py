"""AWS Elemental MediaConvert in the local stack: jobs that really transcode (PyAV/FFmpeg)."""

from devstack.mediaconvert.service import MediaConvert

__all__ = ["MediaConvert"]
