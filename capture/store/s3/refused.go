package s3

import (
	"errors"

	"github.com/minio/minio-go/v7"
)

// refusedCodes are the S3 error codes that no retry heals: the store
// refuses the bucket or the caller until a person fixes one of them.
var refusedCodes = map[string]bool{
	"NoSuchBucket":          true,
	"AccessDenied":          true,
	"AllAccessDisabled":     true,
	"InvalidAccessKeyId":    true,
	"SignatureDoesNotMatch": true,
	"InvalidBucketName":     true,
	"AccountProblem":        true,
}

// refused reports whether err is an answer of the store that no retry
// heals (see refusedCodes).
func refused(err error) bool {
	var er minio.ErrorResponse
	return errors.As(err, &er) && refusedCodes[er.Code]
}
