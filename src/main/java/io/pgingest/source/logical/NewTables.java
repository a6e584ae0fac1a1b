package io.pgingest.source.logical;

import io.pgingest.catalog.Catalog;
import io.pgingest.catalog.TableInfo;
import io.pgingest.pipeline.PipelineSettings;
import io.pgingest.source.BatchSink;
import io.pgingest.source.ConcurrentObjects;
import io.pgingest.source.ObjectOperations;
import io.pgingest.source.SourceConnections;
import io.pgingest.event.Metadata;
import io.pgingest.source.table.KeyOrderLoad;
import io.pgingest.state.ObjectProgress;
import io.pgingest.state.ObjectRecord;
import io.pgingest.state.StateStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Loads the existing rows of tables the pipeline starts to stream: at the first start (Load Historical Data
 * on), and for tables new to the pipeline, at a start or while streaming.
 * <p>Include New Tables while streaming (and Restart Historical Load of a streamed table): a periodic catalog
 * check (and one whenever a record names a table the pipeline does not stream yet) finds tables created, or
 * dropped and re-created, since the last check, and streamed tables whose load was requested again.
 * Each one the {@link TablePlanner} includes is (1) added to the publication, so that pgoutput sends its
 * changes from then on in the existing slot, (2) the WAL position P is read, (3) its existing rows are
 * loaded by key with table mode's Full Load pages as HISTORICAL batches carrying P, so that every change
 * streamed afterwards (position at least P) wins, and (4) it is handed to the batcher. Tables gone from
 * the catalog get a note; their destination rows stay. Used by the engine thread only (the loads of step 3 run on
 * threads of their own, up to {@code concurrentObjects} tables at a time, while it waits).
 */
final class NewTables {

    private static final Logger LOG = LoggerFactory.getLogger(NewTables.class);
    static final Duration INTERVAL = Duration.ofSeconds(15);

    private final PipelineSettings settings;
    private final TablePlanner planner;
    private final SchemaTracker tracker;
    private final KeyOrderLoad keyOrder;
    private final StateStore state;
    private final Set<String> dropped = new HashSet<>();
    private final Set<String> unknownChecked = new HashSet<>();
    private long lastCheck = System.currentTimeMillis();

    NewTables(PipelineSettings settings, TablePlanner planner, SchemaTracker tracker, StateStore state) {
        this.settings = settings;
        this.planner = planner;
        this.tracker = tracker;
        this.keyOrder = new KeyOrderLoad(settings, state);
        this.state = state;
    }

    /** Whether a check is due: the interval passed, or a record names a table not checked since it appeared. */
    boolean due(List<String> unknownTables) {
        boolean unknown = false;
        for (String t : unknownTables) {
            unknown |= unknownChecked.add(t);
        }
        return unknown || System.currentTimeMillis() - lastCheck >= INTERVAL.toMillis();
    }

    /**
     * Checks the catalog against the tables the batcher streams; includes, loads and registers new ones.
     * Returns the position the loads used (the stream's position must not be lower from now on), or 0.
     */
    long check(ChangeBatcher batcher, BatchSink sink) throws Exception {
        lastCheck = System.currentTimeMillis();
        try (Connection c = SourceConnections.open(settings.source(), settings.name())) {
            List<TableInfo> all = Catalog.listTables(c, settings.source().database(), settings.schemas());
            Map<String, LogicalTable> streaming = batcher.tables();
            noteDropped(c, streaming, all);
            checkPartitions(c, all.stream().filter(t -> streaming.get(t.table().display()) != null
                    && streaming.get(t.table().display()).info().oid() == t.oid()).toList());
            Map<String, ObjectRecord> known = planner.known();
            for (String name : batcher.tables().keySet()) {
                ObjectRecord r = known.get(name);
                if (r != null && ObjectOperations.held(r)) {
                    LOG.info("pipeline {}: {} {}; its changes are no longer written", settings.name(), name,
                            r.status().name().toLowerCase(Locale.ROOT));
                    batcher.remove(name);
                    planner.noteStopped(r);
                }
            }
            Map<String, LogicalTable> streamed = batcher.tables();
            // new or re-created tables, and streamed ones whose rows are owed a load again (Restart Historical Load)
            List<TableInfo> candidates = all.stream().filter(t -> streamed.get(t.table().display()) == null
                    || streamed.get(t.table().display()).info().oid() != t.oid()
                    || known.get(t.table().display()) != null && TablePlanner.loadOwed(known.get(t.table().display()))).toList();
            if (candidates.isEmpty()) {
                return 0;
            }
            Map<Long, Character> identity = TablePlanner.identities(c, candidates);
            planner.claimDestinations(all, known, streamed.keySet(), identity, List.of());
            List<TableInfo> owed = new ArrayList<>();
            for (TableInfo t : candidates) {
                planner.decide(t, identity.getOrDefault(t.oid(), 'd'), known.get(t.table().display()), false)
                        .ifPresent(d -> owed.add(d.info()));
            }
            if (owed.isEmpty()) {
                return 0;
            }
            // a table without key loaded now is written as keylessTables says: noted, so that the next start does not take
            // it for one written otherwise and load it again (found by the twenty-second session's probe)
            checkKeylessWrites(owed);
            List<LogicalTable> loaded = new ArrayList<>();
            long position = load(c, owed, sink, loaded);
            for (LogicalTable t : loaded) {
                batcher.add(t);
                batcher.loaded(t.info().table().display(), loadSnapshot(state, settings.name(), t.info().table().display()).orElse(null));
                dropped.remove(t.info().table().display());
            }
            return position;
        }
    }

    /**
     * Adds the tables to the publication, reads the WAL position, loads their rows with it and marks them
     * STREAMING; the tables as streamed go to {@code out}. Returns the position. The slot must exist: the rows
     * are read after it was created, so every change committed after a read is in the stream, whose rows are
     * written with a position at least the one returned and so win over the loaded ones.
     * <p>A keyed table is loaded in key order by {@link KeyOrderLoad}: a load stopped by a crash goes on from the
     * key it reached, with the position it started with (lower than any the stream uses afterwards). A table
     * without key (REPLICA IDENTITY FULL) is read in one statement and appended. Up to {@code concurrentObjects}
     * tables are loaded at the same time, each on a connection of its own ({@link ConcurrentObjects}); when one fails,
     * the tables loaded by then are in {@code out} before the failure is thrown.
     */
    long load(Connection c, List<TableInfo> tables, BatchSink sink, List<LogicalTable> out) throws Exception {
        String publication = ReplicationNames.slot(settings.name());
        Publication.add(c, publication, tables);
        // read after the publication changed: every change the stream does not bring is older and in the load
        long position = SourceWal.currentLsn(c);
        // described here, one after the other (the schema tracker is not shared between threads); loaded in parallel
        Map<TableInfo, LogicalTable> described = new LinkedHashMap<>();
        tracker.numberColumns(c, tables);
        for (TableInfo t : tables) {
            planner.forgetColumns(t); // a re-created table's column list starts anew
            described.put(t, tracker.initial(c, t));
        }
        List<TableInfo> done = new ArrayList<>();
        try {
            ConcurrentObjects.run(tables, settings.concurrentObjects(), c,
                    () -> SourceConnections.open(settings.source(), settings.name()), "pgingest-load-" + settings.name(),
                    (connection, t) -> loadOne(connection, t, described.get(t), position, sink), done);
        } finally {
            done.forEach(t -> out.add(described.get(t)));
        }
        return position;
    }

    /** Loads one table's rows with {@code position} (see {@link #load}) and marks it STREAMING. */
    private void loadOne(Connection c, TableInfo t, LogicalTable table, long position, BatchSink sink) throws Exception {
        String cursorKey = cursorKey(t);
        boolean resuming = !t.keyColumns().isEmpty() && keyOrder.resuming(cursorKey);
        boolean replacing = !t.keyColumns().isEmpty()
                && state.object(settings.name(), t.table().display()).filter(TablePlanner::reloadOwed).isPresent();
        String doing = (resuming ? "load resumed at " : "loading since ") + Instant.now();
        planner.save(t, ObjectProgress.HISTORICAL_LOAD_RUNNING, replacing ? TablePlanner.reloadOwed(doing)
                : TablePlanner.LOAD_OWED + ": " + doing);
        LOG.info("pipeline {}: {}: {} the existing rows", settings.name(), t.table().display(),
                resuming ? "resuming the load of" : "loading");
        long rows;
        if (t.keyColumns().isEmpty()) {
            long runPosition = keylessRunPosition(cursorKey, position);
            LoadSnapshot[] read = new LoadSnapshot[1];
            rows = ColumnReload.wholeTable(table).run(c, settings.name(), sink, runPosition,
                    Math.max(keyOrder.pageSize(c, t), 1), s -> read[0] = s);
            state.saveCursor(settings.name(), snapshotKey(t.table().display()), read[0].toString());
        } else {
            // The snapshot before the first page (kept when the load resumes: its earlier pages were read after it, the
            // later ones after a newer one), with the load's position: a streamed change of a transaction it sees is in
            // every page already, and is written below the loaded rows (ChangeBatcher#loaded): it changes only rows the
            // load did not write. Without this, the changes the slot held of a table dropped and re-created while the
            // pipeline was stopped, written in a batch whose position is above the load's, overwrote the new table's
            // loaded rows (a delete of the old table's row soft-deleted the new one).
            if (!resuming) {
                state.saveCursor(settings.name(), snapshotKey(t.table().display()),
                        SourceWal.currentSnapshot(c).at(position).toString());
            } else if (loadSnapshot(state, settings.name(), t.table().display()).isEmpty()) {
                // a load begun by an earlier version: its rows' position is the one it began with, not known here
                state.saveCursor(settings.name(), snapshotKey(t.table().display()), SourceWal.currentSnapshot(c).toString());
            }
            rows = keyOrder.load(c, t, cursorKey, position, Map.of(Metadata.DELETED, false), sink);
            if (replacing) {
                // the rows written before the load that it did not write again are gone from the source (deleted while
                // paused, say): soft-deleted, as a TRUNCATE does with the rows before it. The load's rows carry the
                // position it began with (kept with its snapshot, also when it resumed); later changes carry more.
                long loadedAt = loadSnapshot(state, settings.name(), t.table().display()).map(LoadSnapshot::position)
                        .filter(p -> p > 0).orElse(position);
                sink.accept(table.earlierRowsDeleted(settings.name(), loadedAt, io.pgingest.event.LoadKind.HISTORICAL,
                        Instant.now()));
                LOG.info("pipeline {}: {}: the destination rows the load did not write again are soft-deleted",
                        settings.name(), t.table().display());
            }
        }
        LOG.info("pipeline {}: {}: {} rows loaded{}; streaming its changes", settings.name(), t.table().display(), rows,
                resuming ? " (load resumed)" : "");
        planner.save(t, ObjectProgress.STREAMING, String.format(Locale.ROOT, "%,d rows loaded%s at %s; streaming",
                rows, resuming ? " by the resumed load (the rows loaded before the interruption not counted)" : "", Instant.now()));
    }

    /**
     * The position of a keyless table's load, which is one run: when it ends the destination drops the table's rows
     * with a lower position, so it must be above the position of an earlier attempt that was interrupted. On an idle
     * source the WAL position does not move between two loads; each load's position is therefore kept (under the
     * load's cursor key, also after it ended) and the next load of the table uses at least one more.
     */
    private long keylessRunPosition(String cursorKey, long position) {
        long previous = state.cursor(settings.name(), cursorKey).filter(v -> v.startsWith(KEYLESS_RUN))
                .map(v -> Long.parseLong(v.substring(KEYLESS_RUN.length()))).orElse(Long.MIN_VALUE);
        // above the WAL position too: a batch streamed just before (the source idle since) may have written the table's
        // rows with exactly that position, and the load must replace them (found by KeylessMatchIT's switch of
        // keylessTables: a matched row stayed live beside the loaded one)
        long run = Math.max(position + 1, previous == Long.MIN_VALUE ? position + 1 : previous + 1);
        state.saveCursor(settings.name(), cursorKey, KEYLESS_RUN + run);
        return run;
    }

    static final String KEYLESS_RUN = "keyless load at position ";

    /**
     * Partitioned tables among {@code tables} whose partitions changed since they were last seen (ATTACH or DETACH
     * PARTITION, a partition created or dropped): no change in the WAL tells it, yet an attached partition's rows appear
     * in the table and a detached one's leave it. Each one included and streaming is owed a load that replaces its
     * destination rows ({@link TablePlanner#RELOAD}): the attached rows arrive, the detached ones are soft-deleted. The
     * partitions seen (their OIDs) are kept in the state store; a table seen for the first time is only noted.
     */
    void checkPartitions(Connection c, List<TableInfo> tables) throws java.sql.SQLException {
        List<TableInfo> partitioned = tables.stream().filter(TableInfo::partitioned).toList();
        if (partitioned.isEmpty()) {
            return;
        }
        Map<Long, String> leaves = new java.util.HashMap<>();
        try (java.sql.PreparedStatement ps = c.prepareStatement("SELECT t.o::int8, coalesce(string_agg(tree.relid::oid::int8::text,"
                + " ',' ORDER BY tree.relid::oid::int8), '') FROM unnest(?::oid[]) AS t(o)"
                + " LEFT JOIN LATERAL pg_partition_tree(t.o::regclass) tree ON tree.isleaf GROUP BY t.o")) {
            ps.setArray(1, c.createArrayOf("bigint", partitioned.stream().map(TableInfo::oid).toArray()));
            try (java.sql.ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    leaves.put(rs.getLong(1), rs.getString(2));
                }
            }
        }
        Map<String, ObjectRecord> known = planner.known();
        for (TableInfo t : partitioned) {
            String key = partitionsKey(t.table().display());
            String now = t.oid() + ":" + leaves.getOrDefault(t.oid(), "");
            Optional<String> before = state.cursor(settings.name(), key);
            if (before.isPresent() && before.get().equals(now)) {
                continue;
            }
            ObjectRecord r = known.get(t.table().display());
            if (before.isPresent() && before.get().startsWith(t.oid() + ":") && r != null && r.tableOid() == t.oid()
                    && r.status() == io.pgingest.state.ObjectStatus.INCLUDED && !TablePlanner.loadOwed(r)) {
                LOG.info("pipeline {}: {}: its partitions changed (attached or detached); its rows are loaded again, and"
                        + " those no longer in it soft-deleted", settings.name(), t.table().display());
                LogicalReplicationSource.requestReload(state, r, "partitions attached or detached, seen at " + Instant.now());
            }
            state.saveCursor(settings.name(), key, now);
        }
    }

    /**
     * Tables without key among {@code tables} whose destination rows were written the other way than
     * {@code keylessTables} says now (the setting changed between runs): an append log cannot be matched on (it holds
     * every row version as a live row), and matched rows are no log. Each one included and streaming is owed a load that
     * replaces its destination rows ({@link TablePlanner#RELOAD}). The way is kept in the state store per table; a table
     * streamed before without it was appended (the only way before the setting existed).
     */
    void checkKeylessWrites(List<TableInfo> tables) {
        String now = settings.matchKeylessTables() ? "match" : "append";
        Map<String, ObjectRecord> known = null;
        for (TableInfo t : tables) {
            if (!t.keyColumns().isEmpty()) {
                continue;
            }
            String key = keylessKey(t.table().display());
            Optional<String> kept = state.cursor(settings.name(), key);
            if (kept.isPresent() && kept.get().equals(now)) {
                continue;
            }
            if (known == null) {
                known = planner.known();
            }
            ObjectRecord r = known.get(t.table().display());
            String before = kept.orElse(r != null && r.progress() == ObjectProgress.STREAMING ? "append" : now);
            if (!before.equals(now) && r != null && r.status() == io.pgingest.state.ObjectStatus.INCLUDED
                    && !TablePlanner.loadOwed(r)) {
                LOG.info("pipeline {}: {}: keylessTables is now {}, its destination rows were written {}; they are loaded"
                        + " again", settings.name(), t.table().display(), now, kept.isPresent() ? "by " + before
                        : "before it was a table without key, or by append");
                LogicalReplicationSource.requestReload(state, r, "keylessTables changed from " + before + " to " + now);
            }
            state.saveCursor(settings.name(), key, now);
        }
    }

    /**
     * Records that {@code table} is owed a load that replaces its destination rows ({@link TablePlanner#RELOAD}): taken up
     * at the next check while streaming, or at the next start.
     */
    void reloadLater(String table, String why) {
        ObjectRecord r = planner.known().get(table);
        if (r != null && r.status() == io.pgingest.state.ObjectStatus.INCLUDED && !TablePlanner.loadOwed(r)) {
            LogicalReplicationSource.requestReload(state, r, why);
        }
    }

    /** How a table without key was last written ({@link #checkKeylessWrites}). */
    static String keylessKey(String table) {
        return table + " #keyless";
    }

    /** Where the partitions of a partitioned table were last seen ({@link #checkPartitions}). */
    static String partitionsKey(String table) {
        return table + " #partitions";
    }

    /** Where the snapshot of a keyless table's last load is kept ({@link LoadSnapshot}). */
    static String snapshotKey(String table) {
        return table + " #load snapshot";
    }

    /** The snapshot of the keyless table's last load, if one was kept. */
    static java.util.Optional<LoadSnapshot> loadSnapshot(StateStore state, String pipeline, String table) {
        return state.cursor(pipeline, snapshotKey(table)).map(LoadSnapshot::parse);
    }

    /** Drops a table's load cursor so that its next load starts from the first key; a keyless table's position stays. */
    static void forgetLoadCursor(StateStore state, String pipeline, String cursorKey) {
        if (state.cursor(pipeline, cursorKey).filter(v -> v.startsWith(KEYLESS_RUN)).isEmpty()) {
            state.deleteCursor(pipeline, cursorKey);
        }
    }

    /** Where the key-order load of {@code t} keeps its cursor: per table OID, so a re-created table starts over. */
    static String cursorKey(TableInfo t) {
        return cursorKey(t.table().display(), t.oid());
    }

    static String cursorKey(String table, long oid) {
        return table + " #load " + oid;
    }

    /** Tables the pipeline streams that are no longer in the catalog: a note once; their rows stay at the destination. */
    private void noteDropped(Connection c, Map<String, LogicalTable> streamed, List<TableInfo> all) throws java.sql.SQLException {
        Set<String> present = new HashSet<>();
        all.forEach(t -> present.add(t.table().display()));
        for (LogicalTable t : streamed.values()) {
            String name = t.info().table().display();
            if (!present.contains(name) && dropped.add(name)) {
                Optional<String> renamedTo = TablePlanner.whereNow(c, t.info().oid(), all);
                planner.known().values().stream().filter(r -> r.object().equals(name)).findFirst()
                        .ifPresentOrElse(r -> planner.noteDropped(r, renamedTo), () -> LOG.warn("pipeline {}: {} was {} at"
                                + " the source; its changes stop, its destination rows stay", settings.name(), name,
                                renamedTo.map(n -> n.startsWith(TablePlanner.PARTITION_OF) ? n : "renamed to " + n).orElse("dropped")));
            }
        }
    }

    /** Notes a table found gone from the catalog at the start (noted in its state already), streamed for its last changes. */
    void noteGone(String table) {
        dropped.add(table);
    }

    /** Whether the table was seen dropped (its state must not be overwritten at the end of the run). */
    boolean isDropped(String table) {
        return dropped.contains(table);
    }
}
