package testenv

import (
	"context"
	"fmt"
	"time"

	"github.com/testcontainers/testcontainers-go"
	tces "github.com/testcontainers/testcontainers-go/modules/elasticsearch"
	tcpg "github.com/testcontainers/testcontainers-go/modules/postgres"
)

// Images used when a Docker engine answers; the same versions as compose.yaml.
const (
	postgresImage      = "postgres:15-alpine"
	elasticsearchImage = "docker.elastic.co/elasticsearch/elasticsearch:8.19.9"
)

// startContainers starts PostgreSQL and Elasticsearch once per test binary.
// The containers are left to the Ryuk reaper, which removes them when the
// test process exits.
func startContainers() {
	// testcontainers panics when it finds no Docker host at all.
	defer func() {
		if r := recover(); r != nil {
			containerErr = fmt.Errorf("no Docker engine: %v", r)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if _, err := testcontainers.NewDockerClientWithOpts(ctx); err != nil {
		containerErr = fmt.Errorf("no Docker engine: %w", err)
		return
	}
	pg, err := tcpg.Run(ctx, postgresImage,
		tcpg.WithDatabase("assets"), tcpg.WithUsername("assets"), tcpg.WithPassword("assets"),
		tcpg.BasicWaitStrategies())
	if err != nil {
		containerErr = fmt.Errorf("starting PostgreSQL container: %w", err)
		return
	}
	containerPG, err = pg.ConnectionString(ctx, "sslmode=disable")
	if err != nil {
		containerErr = fmt.Errorf("reading PostgreSQL container address: %w", err)
		return
	}
	es, err := tces.Run(ctx, elasticsearchImage, testcontainers.WithEnv(map[string]string{
		"xpack.security.enabled":   "false",
		"action.auto_create_index": "false",
		"ES_JAVA_OPTS":             "-Xms512m -Xmx512m",
	}))
	if err != nil {
		containerErr = fmt.Errorf("starting Elasticsearch container: %w", err)
		return
	}
	containerES = es.Settings.Address
}
