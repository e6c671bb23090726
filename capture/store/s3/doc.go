// Package s3 keeps artifacts in an S3 bucket (AWS, MinIO, or any S3 API)
// through minio-go: uploads with the artifact's metadata, bounded retries
// with backoff, reads back, and presigned or public links. It is the only
// package that imports minio-go.
package s3
