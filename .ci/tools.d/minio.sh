# MinIO server: the real S3 object store behind the capture/ integration
# tests (uploads, presigned links, outage and spool recovery).
# A pinned pseudo-version: MinIO publishes no semver tags on the proxy.
MINIO_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c
minio_bin=$(go_install minio "github.com/minio/minio@$MINIO_VERSION" minio)
"$minio_bin" --version >/dev/null 2>&1 || { log "minio at $minio_bin does not run"; exit 1; }
echo "ALERTPROF_MINIO=$minio_bin"
