package brokertest

import (
	"time"

	"github.com/IBM/sarama"
)

// SaramaConfig is sarama's configuration for talking to the broker: the
// protocol of Kafka 2.8, which idempotent production needs (it needs at
// least 0.11).
func SaramaConfig() *sarama.Config {
	cfg := sarama.NewConfig()
	cfg.ClientID = "sluice-interop-sarama"
	cfg.Version = sarama.V2_8_0_0
	cfg.Net.DialTimeout = 10 * time.Second
	cfg.Net.ReadTimeout = 30 * time.Second
	cfg.Net.WriteTimeout = 30 * time.Second
	cfg.Metadata.Retry.Max = 10
	cfg.Metadata.Retry.Backoff = 100 * time.Millisecond
	return cfg
}
