package broker

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/go-zookeeper/zk"
)

// producerIDs hands out idempotent-producer ids from blocks reserved in
// /latest_producer_id_block, as Kafka 2.x does, so no two brokers (and no
// restart) hand out the same id.
type producerIDs struct {
	mu        sync.Mutex
	next, end int64 // next id to give; end of the reserved block (exclusive)
}

const producerIDBlock = 1000

type producerIDBlockJSON struct {
	Version    int    `json:"version"`
	Broker     int32  `json:"broker"`
	BlockStart string `json:"block_start"`
	BlockEnd   string `json:"block_end"`
}

func (p *producerIDs) nextID(m *clusterMeta, broker int32) (int64, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.next >= p.end {
		start, err := m.reserveProducerIDs(broker)
		if err != nil {
			return 0, err
		}
		p.next, p.end = start, start+producerIDBlock
	}
	id := p.next
	p.next++
	return id, nil
}

// reserveProducerIDs takes the next block with a compare-and-set on the
// node's version, retrying when another broker won the race.
func (m *clusterMeta) reserveProducerIDs(broker int32) (int64, error) {
	path := m.p("/latest_producer_id_block")
	for attempt := 0; attempt < 20; attempt++ {
		data, st, err := m.conn.Get(path)
		if errors.Is(err, zk.ErrNoNode) {
			b, _ := json.Marshal(producerIDBlockJSON{Version: 1, Broker: broker, BlockStart: "0", BlockEnd: strconv.Itoa(producerIDBlock - 1)})
			if _, err := m.conn.Create(path, b, 0, m.aclFor(path)); err == nil {
				return 0, nil
			} else if !errors.Is(err, zk.ErrNodeExists) {
				return 0, fmt.Errorf("broker: reserve producer ids: %w", err)
			}
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("broker: reserve producer ids: %w", err)
		}
		var cur producerIDBlockJSON
		if err := json.Unmarshal(data, &cur); err != nil {
			return 0, fmt.Errorf("broker: %s: %w", path, err)
		}
		end, err := strconv.ParseInt(cur.BlockEnd, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("broker: %s: block_end %q", path, cur.BlockEnd)
		}
		start := end + 1
		b, _ := json.Marshal(producerIDBlockJSON{Version: 1, Broker: broker, BlockStart: strconv.FormatInt(start, 10), BlockEnd: strconv.FormatInt(start+producerIDBlock-1, 10)})
		if _, err := m.conn.Set(path, b, st.Version); err == nil {
			return start, nil
		} else if !errors.Is(err, zk.ErrBadVersion) {
			return 0, fmt.Errorf("broker: reserve producer ids: %w", err)
		}
	}
	return 0, errors.New("broker: reserve producer ids: too much contention")
}
