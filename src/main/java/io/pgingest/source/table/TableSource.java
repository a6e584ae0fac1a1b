package io.pgingest.source.table;

import io.pgingest.catalog.Catalog;
import io.pgingest.catalog.CatalogException;
import io.pgingest.catalog.TableInfo;
import io.pgingest.event.Column;
import io.pgingest.event.LoadKind;
import io.pgingest.mapping.TypeMapping;
import io.pgingest.pipeline.ObjectSelection;
import io.pgingest.pipeline.PipelineConfigException;
import io.pgingest.pipeline.PipelineSettings;
import io.pgingest.source.BatchSink;
import io.pgingest.source.ConcurrentObjects;
import io.pgingest.source.SourceConnections;
import io.pgingest.state.ObjectProgress;
import io.pgingest.state.StateStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The table ingestion mode: one run polls every included object of a pipeline with its query mode, historical load
 * first and incremental afterwards, {@code concurrentObjects} objects at a time. One failing object
 * is marked FAILED and the others still run; the run reports which objects failed.
 */
public final class TableSource {

    private static final Logger LOG = LoggerFactory.getLogger(TableSource.class);

    /** The result of one run: the objects that failed, with their errors. */
    public record RunResult(int objects, List<String> failures) {
        public boolean succeeded() {
            return failures.isEmpty();
        }
    }

    private final PipelineSettings settings;
    private final StateStore state;

    public TableSource(PipelineSettings settings, StateStore state) {
        this.settings = settings;
        this.state = state;
    }

    /**
     * Checks, before anything is written, that the source is reachable and that every object
     * named explicitly is a table whose query-mode columns exist with a usable type.
     * Throws {@link PipelineConfigException} naming the key.
     */
    public void check() {
        try (Connection c = SourceConnections.open(settings.source(), settings.name())) {
            for (ObjectSelection s : settings.objects()) {
                if (s.name().isWildcard()) {
                    continue;
                }
                TableInfo table = Catalog.describe(c, settings.source().database(), s.name().schema(), s.name().table());
                String problem = ObjectPlanner.checkMode(table, s.mode());
                if (problem != null) {
                    throw new PipelineConfigException(settings.name(), "objects", problem);
                }
            }
        } catch (CatalogException e) {
            throw new PipelineConfigException(settings.name(), "objects", e.getMessage(), e);
        } catch (SQLException e) {
            throw new PipelineConfigException(settings.name(), SourceConnections.setting(e),
                    SourceConnections.problem(e, settings.source()), e);
        }
    }

    /** The message of an object skipped at the pipeline's first run ({@code skipObjectsAtStart}). */
    public static final String SKIPPED_AT_START = "skipped at the pipeline's creation (skipObjectsAtStart); --include-object includes it";

    /** Records that an operator included a skipped object: its next run is its historical load. */
    public static void requestInclusion(StateStore state, io.pgingest.state.ObjectRecord record) {
        state.deleteCursor(record.pipeline(), record.object());
        state.saveObject(record.withStatus(io.pgingest.state.ObjectStatus.INCLUDED, ObjectProgress.PENDING,
                "included by an operator at " + java.time.Instant.now()));
    }

    /**
     * Records that an included object's next run is its historical load again, from the first row ("Restart
     * Historical Load"): its cursor is dropped and its progress set back to PENDING.
     */
    public static void requestHistoricalLoad(StateStore state, io.pgingest.state.ObjectRecord record) {
        state.deleteCursor(record.pipeline(), record.object());
        state.saveObject(record.withProgress(ObjectProgress.PENDING, "restart of the historical load requested at "
                + java.time.Instant.now()));
    }

    /**
     * One pass over all included objects, up to {@code concurrentObjects} at a time, each on a source connection of its
     * own ({@link ConcurrentObjects}). The failures are listed in the objects' order.
     */
    public RunResult run(BatchSink sink) throws SQLException, InterruptedException {
        try (Connection c = SourceConnections.open(settings.source(), settings.name())) {
            List<TableInfo> tables = Catalog.listTables(c, settings.source().database(), settings.schemas());
            List<ObjectPlanner.Planned> planned = ObjectPlanner.plan(settings, tables, state);
            for (String shared : io.pgingest.naming.DestinationNaming.sharedNameWarnings(
                    planned.stream().map(p -> p.table().table()).toList(), settings.mergeTables())) {
                LOG.warn("pipeline {}: {}", settings.name(), shared);
            }
            Map<ObjectPlanner.Planned, String> failed = new ConcurrentHashMap<>();
            try {
                ConcurrentObjects.run(planned, settings.concurrentObjects(), c,
                        () -> SourceConnections.open(settings.source(), settings.name()), "pgingest-run-" + settings.name(),
                        (connection, p) -> {
                            String failure = runObject(connection, new ObjectLoader(settings, connection, state, sink), p);
                            if (failure != null) {
                                failed.put(p, failure);
                            }
                        }, new ArrayList<>());
            } catch (InterruptedException | SQLException | RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e.getMessage(), e); // runObject throws nothing else
            }
            List<String> failures = new ArrayList<>();
            for (ObjectPlanner.Planned p : planned) {
                if (failed.containsKey(p)) {
                    failures.add(p.table().table().display() + ": " + failed.get(p));
                }
            }
            return new RunResult(planned.size(), failures);
        }
    }

    private String runObject(Connection connection, ObjectLoader loader, ObjectPlanner.Planned p) throws InterruptedException {
        String problem = ObjectPlanner.checkMode(p.table(), p.mode());
        boolean historical = ObjectPlanner.historicalPending(p.record());
        if (problem != null) {
            state.saveObject(p.record().withProgress(ObjectProgress.FAILED, problem));
            return problem;
        }
        List<Column> columns = new ArrayList<>();
        for (Column c : p.table().columns()) {
            columns.add(TypeMapping.resolve(c));
        }
        TableQuery query = TableQuery.of(p.table(), columns, p.mode());
        if (historical) {
            state.saveObject(p.record().withProgress(ObjectProgress.HISTORICAL_LOAD_RUNNING, null));
        }
        try {
            ObjectLoader.Outcome outcome = loader.load(query, historical ? LoadKind.HISTORICAL : LoadKind.INCREMENTAL,
                    p.table().estimatedRows(), historical && settings.sizedHistoricalPages()
                            ? pageSize(connection, p.table()) : settings.batchSize());
            String message = outcome.deferredReason() != null ? outcome.deferredReason()
                    : outcome.limitReached() ? String.format(Locale.ROOT,
                    "ingestion limit of %,d rows per run reached; the rest of the table was not loaded in this run",
                    settings.fullLoadLimit())
                    : String.format(Locale.ROOT, "%s: %,d rows", historical ? "historical load finished" : "last run", outcome.rows());
            if (outcome.limitReached()) {
                LOG.warn("pipeline {}: {}: {}", settings.name(), p.table().table().display(), message);
            }
            boolean stillHistorical = historical && outcome.deferredReason() != null;
            state.saveObject(p.record().withProgress(stillHistorical ? ObjectProgress.HISTORICAL_LOAD_RUNNING
                    : ObjectProgress.SCHEDULED, message));
            return null;
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            String error = rootMessage(e);
            LOG.error("pipeline {}: {} failed: {}", settings.name(), p.table().table().display(), error, e);
            state.saveObject(p.record().withProgress(ObjectProgress.FAILED,
                    (historical ? ObjectPlanner.HISTORICAL_FAILED : ObjectPlanner.INCREMENTAL_FAILED) + error));
            return error;
        }
    }

    /** Bytes of rows a historical page aims at: large enough to make per-transaction costs small. */
    static final long HISTORICAL_PAGE_BYTES = 24L << 20;
    /**
     * At most 2^17 rows per historical page: more than DuckDB's row group (122,880 rows), so that DuckDB writes a
     * page's rows straight into its file instead of its WAL first (for 1M narrow rows in pages of 62,500 rows the
     * commits took 0.25 s, in pages of 125,000 rows 0.01 s, and the checkpoint at the end less too).
     */
    static final int HISTORICAL_PAGE_MAX_ROWS = 131_072;

    /**
     * Rows per page of a historical load when {@code batchSize} is not set: 10,000, raised up to about
     * {@link #HISTORICAL_PAGE_BYTES} of rows (by the table's size over its estimated row count)
     * and at most {@link #HISTORICAL_PAGE_MAX_ROWS}. A destination commits once per page, and
     * each commit waits for a WAL flush: 100 commits cost a bulk load about half a second.
     */
    int pageSize(Connection c, TableInfo table) {
        if (table.estimatedRows() <= 0) {
            return settings.batchSize();
        }
        // pg_partition_tree lists a partitioned table's partitions, and nothing for a table that is not partitioned
        String sql = "SELECT coalesce((SELECT sum(pg_table_size(relid)) FROM pg_partition_tree(?::oid::regclass)),"
                + " pg_table_size(?::oid::regclass), 0)";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setLong(1, table.oid());
            ps.setLong(2, table.oid());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                long rowBytes = Math.max(1, rs.getLong(1) / table.estimatedRows());
                long rows = Math.min(HISTORICAL_PAGE_MAX_ROWS, HISTORICAL_PAGE_BYTES / rowBytes);
                return (int) Math.max(settings.batchSize(), rows);
            }
        } catch (SQLException e) {
            LOG.debug("table size of {} unknown ({}); pages of batchSize rows", table.table().display(), e.getMessage());
            return settings.batchSize();
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t == e ? String.valueOf(e.getMessage()) : e.getMessage() + " (" + t.getMessage() + ")";
    }
}
