package io.pgingest.source.logical;

import io.debezium.schema.SchemaTopicNamingStrategy;
import io.debezium.spi.schema.DataCollectionId;

import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Debezium's default topic naming ({@code <prefix>.<schema>.<table>}) with a plain concurrent map as its
 * cache. Debezium names the topic of every change record; its own cache is a bounded LRU map that updates
 * its recency lists on every hit, which cost about 5% of the connector thread's time in backlog drains.
 * pg-ingest does not use topics (records are routed by their source table), and a pipeline has a bounded
 * set of tables, so an unbounded map is fine. Set as {@code topic.naming.strategy} by {@link DebeziumProperties};
 * instantiated by Debezium through one of its public constructors. Thread-safe.
 */
public final class CachedTopicNaming extends SchemaTopicNamingStrategy {

    private final Map<DataCollectionId, String> topics = new ConcurrentHashMap<>();

    public CachedTopicNaming(Properties props) {
        super(props);
    }

    public CachedTopicNaming(Properties props, boolean multiPartitionMode) {
        super(props, multiPartitionMode);
    }

    @Override
    public String dataChangeTopic(DataCollectionId id) {
        String topic = topics.get(id);
        if (topic == null) {
            topic = super.dataChangeTopic(id);
            topics.put(id, topic);
        }
        return topic;
    }
}
