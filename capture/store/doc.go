// Package store keeps artifacts in a local directory, exactly as fetched,
// and serves them under signed, expiring links; it also prunes old
// incidents. Its link Signer is shared by every link alertprof hands out.
// The S3 store and the upload spool live in the s3 and spool subpackages.
package store
