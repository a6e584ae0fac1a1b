package io.pgingest.source.logical;

import io.pgingest.catalog.Catalog;
import io.pgingest.catalog.TableInfo;
import io.pgingest.event.Column;
import io.pgingest.pipeline.PipelineSettings;
import io.pgingest.source.BatchSink;
import io.pgingest.source.SourceConnections;
import io.pgingest.state.StateStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Follows the columns of the streamed tables while streaming. When Debezium's record schema of a
 * table changes, the table is described again from the catalog; columns added with values for the
 * existing rows (a DEFAULT or a generated column, which the WAL does not carry for those rows) are
 * queued as {@link ColumnReload}s, which the batch handler runs before it acknowledges the batch.
 * The column names a table was last streamed with are kept in the state store (as the object's
 * cursor, unused otherwise in this mode), so that a column added while the pipeline was stopped, or
 * before a crash, is still detected and re-loaded. Used by the engine thread only.
 */
final class SchemaTracker {

    private static final Logger LOG = LoggerFactory.getLogger(SchemaTracker.class);
    private static final String PREFIX = "columns:";
    private static final String SEPARATOR = "\u001f";

    private final PipelineSettings settings;
    private final StateStore state;
    private final List<ColumnReload> pending = new ArrayList<>();

    SchemaTracker(PipelineSettings settings, StateStore state) {
        this.settings = settings;
        this.state = state;
    }

    /**
     * The table to stream, from the catalog. Columns added since the known column list was saved (while the
     * pipeline was stopped, or before a crash) that have values in existing rows are queued for re-load,
     * which runs with the first batch the engine hands over. Saves the list when there is none yet.
     */
    LogicalTable initial(Connection c, TableInfo info) throws SQLException {
        LogicalTable table = LogicalTable.of(info);
        Optional<List<String>> known = known(info);
        List<String> added = known.isEmpty() ? List.of() : table.columns().stream().map(Column::name)
                .filter(n -> !known.get().contains(n)).toList();
        queueOrRemember(c, table, added);
        return table;
    }

    /** The table described again from the catalog; queues a re-load of added columns that have values. */
    LogicalTable refresh(LogicalTable old) {
        TableInfo info = old.info();
        try (Connection c = SourceConnections.open(settings.source(), settings.name())) {
            TableInfo fresh = Catalog.describe(c, info.table().database(), info.table().schema(), info.table().table());
            LogicalTable table = LogicalTable.of(fresh);
            List<String> addedNames = table.columns().stream().map(Column::name)
                    .filter(n -> old.columnIndex(n) < 0).toList();
            LOG.info("pipeline {}: {} changed its columns (added: {}); now streaming {}", settings.name(),
                    info.table().display(), addedNames, table.columns().stream().map(Column::name).toList());
            queueOrRemember(c, table, addedNames);
            return table;
        } catch (SQLException e) {
            throw new IllegalStateException("cannot describe " + info.table().display() + " again after its columns changed: "
                    + e.getMessage(), e);
        }
    }

    private void queueOrRemember(Connection c, LogicalTable table, List<String> added) throws SQLException {
        List<String> reload = added.isEmpty() ? List.of() : ColumnReload.withValues(c, table.info().oid(), added);
        if (!reload.isEmpty() && table.keys().isEmpty()) {
            LOG.warn("pipeline {}: {} has no key: the values of the added columns {} in its existing rows cannot be"
                    + " re-loaded; restart its historical load to get them", settings.name(), table.info().table().display(), reload);
        }
        if (reload.isEmpty() || table.keys().isEmpty()) {
            remember(table);
        } else {
            pending.add(new ColumnReload(table, table.columns().stream().filter(col -> reload.contains(col.name())).toList(), false));
        }
    }

    /** Runs the queued re-loads into {@code sink} with {@code position}; each is dropped from the queue once done. */
    void runReloads(BatchSink sink, long position) throws Exception {
        if (pending.isEmpty()) {
            return;
        }
        try (Connection c = SourceConnections.open(settings.source(), settings.name())) {
            while (!pending.isEmpty()) {
                ColumnReload r = pending.get(0);
                long rows = r.run(c, settings.name(), sink, position, Math.max(settings.batchSize(), 1));
                LOG.info("pipeline {}: re-loaded the added columns {} of {} for {} existing rows", settings.name(),
                        r.added().stream().map(Column::name).toList(), r.table().info().table().display(), rows);
                remember(r.table());
                pending.remove(0);
            }
        }
    }

    private Optional<List<String>> known(TableInfo info) {
        return state.cursor(settings.name(), info.table().display()).filter(s -> s.startsWith(PREFIX))
                .map(s -> Arrays.asList(s.substring(PREFIX.length()).split(SEPARATOR, -1)));
    }

    private void remember(LogicalTable table) {
        List<String> names = table.columns().stream().map(Column::name).toList();
        state.saveCursor(settings.name(), table.info().table().display(), PREFIX + String.join(SEPARATOR, names));
    }
}
