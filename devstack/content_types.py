"""The HTTP content types of HLS, as MediaLive sends them and MediaPackage and S3 serve them."""

HLS_CONTENT_TYPE = "application/vnd.apple.mpegurl"  # playlists (.m3u8)
TS_CONTENT_TYPE = "video/MP2T"  # MPEG-TS segments (.ts)
