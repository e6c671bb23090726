// Temporary: keeps the dependencies that work in progress will use in go.mod.
// Delete once each is imported by real code.
package main

import (
	_ "github.com/cenkalti/backoff/v5"
	_ "github.com/minio/minio-go/v7"
	_ "github.com/minio/minio-go/v7/pkg/credentials"
	_ "github.com/slack-go/slack"
	_ "github.com/slack-go/slack/slacktest"
	_ "golang.org/x/time/rate"
	_ "k8s.io/client-go/kubernetes"
	_ "k8s.io/client-go/kubernetes/fake"
	_ "k8s.io/client-go/rest"
	_ "k8s.io/client-go/tools/clientcmd"
)
