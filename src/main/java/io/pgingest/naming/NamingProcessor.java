package io.pgingest.naming;

import io.pgingest.event.Column;
import io.pgingest.event.Metadata;
import io.pgingest.event.RowBatch;
import io.pgingest.event.SourceTable;
import org.apache.camel.Exchange;
import org.apache.camel.InvalidPayloadException;
import org.apache.camel.Processor;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Camel processor (bean {@code pgNaming}) that gives a {@link RowBatch} body its destination
 * names: sets {@link RowBatch#target()}, renames columns and key columns per
 * {@link DestinationNaming}, and with Merge Tables on (header {@value #MERGE_TABLES_HEADER},
 * default true) adds the constant {@code _pgingest_database}. Thread-safe; names are cached
 * per source table and column list because it runs once per batch.
 */
public final class NamingProcessor implements Processor {

    /** Header holding the pipeline's Merge Tables setting (Boolean or "true"/"false"); absent means true. */
    public static final String MERGE_TABLES_HEADER = "PgIngestMergeTables";

    /** Bounds the cache: it only grows with schema changes, but a long-lived process should not hoard them. */
    private static final int MAX_CACHED = 10_000;

    private final Map<Key, Names> cache = new ConcurrentHashMap<>();

    @Override
    public void process(Exchange exchange) throws InvalidPayloadException {
        RowBatch batch = exchange.getIn().getMandatoryBody(RowBatch.class);
        Boolean header = exchange.getIn().getHeader(MERGE_TABLES_HEADER, Boolean.class);
        exchange.getIn().setBody(name(batch, header == null || header));
    }

    /** The batch with destination names; the rows are shared, not copied. */
    public RowBatch name(RowBatch batch, boolean mergeTables) {
        List<String> sourceNames = batch.columns().stream().map(Column::name).toList();
        Names names = names(new Key(batch.source(), sourceNames, metadataFlags(batch.columns()), mergeTables));

        List<Column> columns = new ArrayList<>(batch.columns().size());
        for (int i = 0; i < batch.columns().size(); i++) {
            columns.add(batch.columns().get(i).withName(names.columns().get(i)));
        }
        List<String> keys = new ArrayList<>(batch.keyColumns().size());
        for (String key : batch.keyColumns()) {
            int index = sourceNames.indexOf(key);
            if (index < 0) {
                throw new IllegalArgumentException("key column " + key + " of " + batch.source()
                        + " is not among the batch's columns " + sourceNames + "; the source built an invalid batch");
            }
            keys.add(names.columns().get(index));
        }
        Map<String, Object> constants = batch.constants();
        if (mergeTables) {
            constants = new HashMap<>(constants);
            constants.put(Metadata.DATABASE, batch.source().database());
        }
        return batch.withTarget(names.table(), columns, keys, constants);
    }

    private Names names(Key key) {
        Names cached = cache.get(key);
        if (cached != null) {
            return cached;
        }
        if (cache.size() >= MAX_CACHED) {
            cache.clear();
        }
        Names computed = new Names(DestinationNaming.tableName(key.table(), key.mergeTables()),
                columnNames(key.columns(), key.metadata()));
        cache.put(key, computed);
        return computed;
    }

    /** Which columns are metadata columns a source added ({@link Metadata#isMetadata}); they keep their names. */
    private static List<Boolean> metadataFlags(List<Column> columns) {
        List<Boolean> flags = new ArrayList<>(columns.size());
        for (Column c : columns) {
            flags.add(Metadata.isMetadata(c));
        }
        return flags;
    }

    /** Source columns named per {@link DestinationNaming#columnNames}; metadata columns unchanged. */
    private static List<String> columnNames(List<String> all, List<Boolean> metadata) {
        List<String> source = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
            if (!metadata.get(i)) {
                source.add(all.get(i));
            }
        }
        List<String> named = DestinationNaming.columnNames(source);
        List<String> out = new ArrayList<>(all.size());
        int next = 0;
        for (int i = 0; i < all.size(); i++) {
            out.add(metadata.get(i) ? all.get(i) : named.get(next++));
        }
        return out;
    }

    private record Key(SourceTable table, List<String> columns, List<Boolean> metadata, boolean mergeTables) {
    }

    private record Names(String table, List<String> columns) {
    }
}
