"""A local AWS media stack: MediaPackage (live ingest, origin, harvest jobs) and MediaPackage VOD,
with moto serving S3, IAM, STS, EventBridge and SQS, all on one endpoint. Development and tests only."""
