package io.pgingest.source.table;

import io.pgingest.catalog.TableInfo;
import io.pgingest.event.Column;
import io.pgingest.mapping.TypeMapping;
import io.pgingest.pipeline.PipelineSettings;
import io.pgingest.source.BatchSink;
import io.pgingest.state.StateStore;

import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Table mode's historical load, offered to log-based pipelines: every row of a keyed table read in keyset
 * pages (the Full Load query, with the next page read while the destination writes the current one) and
 * sent as HISTORICAL upsert batches that carry a fixed position and constant columns. Resumable: the key
 * reached is saved after every page the destination committed, so a load stopped by a crash goes on from
 * there (with the position it started with) instead of starting over.
 */
public final class KeyOrderLoad {

    private final PipelineSettings settings;
    private final StateStore state;

    public KeyOrderLoad(PipelineSettings settings, StateStore state) {
        this.settings = settings;
        this.state = state;
    }

    /**
     * Loads {@code table}, which must have a key ({@link TableInfo#keyColumns()}).
     *
     * @param cursorKey the state-store object name the load's cursor is kept under (not the table's own name,
     *                  which a log-based pipeline may use for other state)
     * @param position  the rows' {@code _pgingest_position}, unless a saved cursor says the load started with another
     * @param constants constant columns written with every row (e.g. {@code _pgingest_deleted = false})
     * @return the rows loaded by this call
     */
    public long load(Connection c, TableInfo table, String cursorKey, long position, Map<String, Object> constants,
                     BatchSink sink) throws Exception {
        if (table.keyColumns().isEmpty()) {
            throw new IllegalArgumentException(table.table().display() + " has no key: it cannot be loaded in key order");
        }
        List<Column> columns = new ArrayList<>();
        for (Column column : table.columns()) {
            columns.add(TypeMapping.resolve(column));
        }
        FullLoadQuery query = FullLoadQuery.forStream(table, columns);
        return new ObjectLoader(settings, c, state, sink)
                .loadForStream(query, cursorKey, position, constants, table.estimatedRows(), pageSize(c, table)).rows();
    }

    /** Rows per page of a historical load of {@code table}: sized by its rows' bytes unless batchSize was set. */
    public int pageSize(Connection c, TableInfo table) {
        return settings.sizedHistoricalPages() ? new TableSource(settings, state).pageSize(c, table) : settings.batchSize();
    }

    /** Whether a load under {@code cursorKey} was started and did not finish (the next one goes on from its key). */
    public boolean resuming(String cursorKey) {
        return state.cursor(settings.name(), cursorKey).isPresent();
    }
}
