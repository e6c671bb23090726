// Package store keeps artifacts in a local directory, exactly as fetched,
// serves them under signed, expiring links, and prunes old incidents. Its
// Signer also signs other links alertprof serves (the pprof web UI's), so
// one link key and one expiry govern them all. The S3 store and the upload
// spool live in the s3 and spool subpackages.
package store
