package main

import (
	"errors"
	"net/http"
	"time"
)

// ServerConfig bounds what one client may hold of the listener: a client
// that sends its headers, its body or reads its answer slowly is cut off
// after these times, and a connection left idle is closed.
type ServerConfig struct {
	ReadHeaderTimeout time.Duration `yaml:"read_header_timeout"`
	ReadTimeout       time.Duration `yaml:"read_timeout"`
	WriteTimeout      time.Duration `yaml:"write_timeout"`
	IdleTimeout       time.Duration `yaml:"idle_timeout"`
	// MaxHeaderBytes bounds a request's header lines (431 beyond).
	MaxHeaderBytes int `yaml:"max_header_bytes"`
}

func defaultServerConfig() ServerConfig {
	return ServerConfig{
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    32 << 10,
	}
}

func (c ServerConfig) validate() error {
	switch {
	case c.ReadHeaderTimeout <= 0 || c.ReadTimeout <= 0 || c.WriteTimeout <= 0 || c.IdleTimeout <= 0:
		return errors.New("config: webhook.read_header_timeout, read_timeout, write_timeout and idle_timeout must be positive")
	case c.ReadHeaderTimeout > c.ReadTimeout:
		return errors.New("config: webhook.read_header_timeout must not exceed webhook.read_timeout")
	case c.MaxHeaderBytes < 4096 || c.MaxHeaderBytes > 1<<20:
		return errors.New("config: webhook.max_header_bytes must be between 4096 and 1048576")
	}
	return nil
}

// apply sets c's bounds on srv.
func (c ServerConfig) apply(srv *http.Server) {
	srv.ReadHeaderTimeout = c.ReadHeaderTimeout
	srv.ReadTimeout = c.ReadTimeout
	srv.WriteTimeout = c.WriteTimeout
	srv.IdleTimeout = c.IdleTimeout
	srv.MaxHeaderBytes = c.MaxHeaderBytes
}
