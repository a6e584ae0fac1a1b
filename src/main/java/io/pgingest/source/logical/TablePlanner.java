package io.pgingest.source.logical;

import io.pgingest.catalog.TableInfo;
import io.pgingest.event.Column;
import io.pgingest.pipeline.ObjectSelection;
import io.pgingest.pipeline.PipelineSettings;
import io.pgingest.source.ObjectOperations;
import io.pgingest.source.table.TableSource;
import io.pgingest.state.ObjectProgress;
import io.pgingest.state.ObjectRecord;
import io.pgingest.state.ObjectStatus;
import io.pgingest.state.StateStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Decides which tables a logical-replication pipeline streams and records that as object states:
 * <ul>
 * <li>tables not covered by {@code objects}, UNLOGGED ones and ones without usable replica identity are
 *     SKIPPED with the reason;</li>
 * <li>first run: the others are INCLUDED, with their rows owed a load by pg-ingest when Load Historical Data
 *     is on (the historical load), streaming from now on when it is off;</li>
 * <li>later: a table not seen before, re-created (new OID) or skipped before and included now is INCLUDED
 *     with its rows owed a load by pg-ingest (Include New Tables on, or named explicitly), else SKIPPED.</li>
 * </ul>
 * A table whose load is owed carries {@link #LOAD_OWED} at the start of its message until it streams, so a
 * load interrupted by a crash or failure goes on at the next start (from the key it reached).
 */
final class TablePlanner {

    private static final Logger LOG = LoggerFactory.getLogger(TablePlanner.class);
    static final String LOAD_OWED = "rows to load by key";
    /**
     * After {@link #LOAD_OWED}: the load replaces the table's destination rows, which were loaded before and may hold
     * rows deleted at the source since its changes were last written (a restart of the historical load, an object
     * resumed or included again, a lost slot, partitions attached or detached): at its end, the rows it did not write
     * are soft-deleted.
     */
    static final String RELOAD = "reload, replacing the destination's rows";
    static final String SKIPPED_NEW = "skipped because Include New Tables is off";

    private final PipelineSettings settings;
    private final StateStore state;
    /** Per schema, the tables the running engine was started without ({@link #keptFromEngine}). */
    private java.util.function.Supplier<Map<String, List<String>>> keptFromEngine = Map::of;

    /** Per table (by name), the table whose destination table it would write too ({@link #claimDestinations}). */
    private Map<String, String> sharedWith = Map.of();

    /**
     * Notes which of {@code tables} would write a destination table another one writes ({@code public."A b"} and
     * {@code public.a_b}, or {@code sales.orders} and {@code public.sales_orders}: docs/naming.md): rows of the two would
     * mix, one overwriting the other's of the same key, and a truncate of one soft-deleting the other's (found by the
     * twenty-second session's probe; before, a WARN at the start said so, none for a table that came while streaming).
     * The destination table stays with the table that streams into it ({@code streaming}), else one streamed before, else
     * the first by name; {@link #decide} skips the others, saying why. Tables skipped for what they are (by
     * {@link #skipReason}, with their {@code identity}) claim no name. The names of tables {@code goneNow} (dropped or
     * renamed while the pipeline was stopped, their last changes written in this run) stay theirs for the run: a table
     * taking a name over then gets its load at the next start, which replaces the destination rows (found by the
     * twenty-second session's probe: loaded in the same run, the gone table's last changes were written over its rows).
     */
    void claimDestinations(List<TableInfo> tables, Map<String, ObjectRecord> known, java.util.Set<String> streaming,
                           Map<Long, Character> identity, List<io.pgingest.event.SourceTable> goneNow) {
        Map<String, List<TableInfo>> byDestination = new java.util.LinkedHashMap<>();
        tables.stream().filter(t -> settings.selectionFor(t.table().schema(), t.table().table()).isPresent())
                .filter(t -> streaming.contains(t.table().display()) || !identity.containsKey(t.oid())
                        || skipReason(t, identity.get(t.oid())) == null)
                .sorted(java.util.Comparator.comparing(t -> t.table().display()))
                .forEach(t -> byDestination.computeIfAbsent(io.pgingest.naming.DestinationNaming.tableName(t.table(),
                        settings.mergeTables()), n -> new java.util.ArrayList<>()).add(t));
        Map<String, String> shared = new java.util.HashMap<>();
        for (io.pgingest.event.SourceTable gone : goneNow) {
            List<TableInfo> group = byDestination.remove(io.pgingest.naming.DestinationNaming.tableName(gone, settings.mergeTables()));
            if (group != null) {
                group.forEach(t -> shared.put(t.table().display(), gone.display() + " (gone from the source: its last changes are"
                        + " written first; the table takes the destination table over at the next start)"));
            }
        }
        byDestination.values().stream().filter(group -> group.size() > 1).forEach(group -> {
            TableInfo owner = group.stream().filter(t -> streaming.contains(t.table().display())).findFirst()
                    .or(() -> group.stream().filter(t -> known.get(t.table().display()) != null
                            && (known.get(t.table().display()).status() == ObjectStatus.INCLUDED
                            || known.get(t.table().display()).status() == ObjectStatus.PAUSED)).findFirst())
                    .orElse(group.get(0));
            group.stream().filter(t -> t != owner).forEach(t -> shared.put(t.table().display(), owner.table().display()));
        });
        sharedWith = shared;
    }

    /** Why {@code t} is skipped for a destination name another table writes ({@link #claimDestinations}), or null. */
    String sharedReason(TableInfo t) {
        String owner = sharedWith.get(t.table().display());
        return owner == null ? null : "its destination table " + io.pgingest.naming.DestinationNaming.tableName(t.table(),
                settings.mergeTables()) + " is written by " + owner + " (destination names are lower case, other characters _,"
                + " see docs/naming.md): their rows would mix there; rename one of them at the source, or leave one out of"
                + " 'objects'";
    }

    /** The tables (OID and reason) whose skip was logged in this run. */
    private final java.util.Set<String> warnedSkips = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * Where to learn which tables the running Debezium engine was started without (its include list leaves them out:
     * their column names differed only by case): such a table stays SKIPPED until the engine starts again, even once
     * its columns were renamed, since the engine would drop its changes.
     */
    void keptFromEngine(java.util.function.Supplier<Map<String, List<String>>> tables) {
        this.keptFromEngine = tables;
    }

    /** A table to stream, and whether pg-ingest still has to load its existing rows. */
    record Decision(TableInfo info, boolean loadOwed) {
    }

    TablePlanner(PipelineSettings settings, StateStore state) {
        this.settings = settings;
        this.state = state;
    }

    /** The objects known so far, by name. */
    Map<String, ObjectRecord> known() {
        return state.objects(settings.name()).stream().collect(Collectors.toMap(ObjectRecord::object, Function.identity()));
    }

    /** Decides one table (see the class comment); returns the decision when it is INCLUDED. */
    Optional<Decision> decide(TableInfo t, char identity, ObjectRecord record, boolean firstRun) {
        Optional<ObjectSelection> selection = settings.selectionFor(t.table().schema(), t.table().table());
        if (selection.isEmpty()) {
            save(t, record, ObjectStatus.SKIPPED, ObjectProgress.PENDING, "not selected by 'objects'");
            return Optional.empty();
        }
        String reason = skipReason(t, identity);
        if (reason == null && (record == null || !ObjectOperations.held(record))) {
            reason = sharedReason(t); // an operator's pause or skip stays as the operator left it
        }
        if (reason == null && keptFromEngine.get().getOrDefault(t.table().schema(), List.of()).contains(t.table().table())) {
            reason = "its column names differed only by case when the pipeline's stream started, which Debezium cannot"
                    + " read; it is included when the stream starts again (restart pg-ingest, or the next --once run)";
        }
        if (reason != null) {
            // once per run and table (the check repeats every 15 s while streaming)
            if (warnedSkips.add(t.oid() + " " + reason)) {
                LOG.warn("pipeline {}: {} skipped: {}", settings.name(), t.table().display(), reason);
            }
            save(t, record, ObjectStatus.SKIPPED, ObjectProgress.PENDING, reason);
            return Optional.empty();
        }
        boolean explicit = !selection.get().name().isWildcard();
        boolean isNew = record == null || record.tableOid() != t.oid();
        if (firstRun && settings.skipObjectsAtStart()) {
            save(t, record, ObjectStatus.SKIPPED, ObjectProgress.PENDING, TableSource.SKIPPED_AT_START);
            return Optional.empty();
        }
        if (!isNew && ObjectOperations.held(record)) {
            return Optional.empty(); // paused, or skipped by an operator or skipObjectsAtStart: held until an operator says
        }
        String what = record == null ? "new table" : "table re-created";
        boolean skippedNew = !isNew && record.status() == ObjectStatus.SKIPPED && record.message() != null
                && record.message().contains(SKIPPED_NEW);
        if (!explicit && !firstRun && (isNew && !settings.includeNewTables() || skippedNew)) {
            save(t, record, ObjectStatus.SKIPPED, ObjectProgress.PENDING, skippedNew ? record.message() : what + "; " + SKIPPED_NEW);
            return Optional.empty();
        }
        boolean owed = firstRun ? settings.loadHistoricalData()
                : isNew || record.status() != ObjectStatus.INCLUDED || loadOwed(record);
        if (owed) {
            String note = firstRun ? "historical load" : isNew ? what
                    : record.status() != ObjectStatus.INCLUDED ? "table included again" : null;
            // a table included again may have rows at the destination from before, deleted at the source since
            save(t, record, ObjectStatus.INCLUDED, ObjectProgress.PENDING, note == null ? record.message()
                    : !firstRun && !isNew ? reloadOwed(note) : LOAD_OWED + ": " + note);
            return Optional.of(new Decision(t, true));
        }
        boolean streaming = record != null && record.progress() == ObjectProgress.STREAMING;
        save(t, record, ObjectStatus.INCLUDED, ObjectProgress.STREAMING, streaming ? record.message() : null);
        return Optional.of(new Decision(t, false));
    }

    /** The message of a table owed a load that replaces its destination rows ({@link #RELOAD}), for {@code why}. */
    static String reloadOwed(String why) {
        return LOAD_OWED + ": " + RELOAD + " (" + why + ")";
    }

    /** Whether the record says the table is owed a load that replaces its destination rows ({@link #RELOAD}). */
    static boolean reloadOwed(ObjectRecord r) {
        return loadOwed(r) && r.message().startsWith(LOAD_OWED + ": " + RELOAD);
    }

    /** Whether the record says pg-ingest's own load of the table has not finished. */
    static boolean loadOwed(ObjectRecord r) {
        return r.status() == ObjectStatus.INCLUDED && r.progress() != ObjectProgress.STREAMING
                && r.message() != null && r.message().startsWith(LOAD_OWED);
    }

    static String skipReason(TableInfo t, char identity) {
        if (t.unlogged()) {
            return "UNLOGGED tables are not written to the WAL, so logical replication cannot see their changes;"
                    + " make it logged (ALTER TABLE ... SET LOGGED) or replicate it with mode: table";
        }
        if (identity == 'd' && t.primaryKey() && t.deferrableKey()) {
            // found by the twenty-second session's probe: included, the table's writers failed on every UPDATE
            return "its primary key is DEFERRABLE, which PostgreSQL cannot use to identify the rows its UPDATEs and DELETEs"
                    + " change (REPLICA IDENTITY DEFAULT): publishing it would make them fail on the source; set REPLICA"
                    + " IDENTITY FULL (ALTER TABLE " + t.table().display() + " REPLICA IDENTITY FULL), or make the key"
                    + " NOT DEFERRABLE";
        }
        boolean usable = identity == 'f' || identity == 'i' || identity == 'd' && t.primaryKey();
        if (identity == 'n') {
            return "its REPLICA IDENTITY is NOTHING: its UPDATEs and DELETEs would carry no old key, and publishing it would"
                    + " make them fail on the source; set REPLICA IDENTITY DEFAULT (with a primary key) or FULL";
        }
        if (!usable) {
            return "the table has no primary key and no REPLICA IDENTITY (FULL or USING INDEX): publishing it would make"
                    + " its UPDATEs and DELETEs fail on the source; add a primary key or set REPLICA IDENTITY FULL";
        }
        if (quoteAtEnd(t.table().schema()) || quoteAtEnd(t.table().table())) {
            // found by the twenty-second session's probe: one change of such a table stopped the whole pipeline for good
            return "its name starts or ends with a double quote, which Debezium (it reads the changes) takes for quoting:"
                    + " it cannot tell the table from another (\"xy\" from xy) or fails on every change of it; rename"
                    + " the table (or schema), or replicate it with mode: table";
        }
        List<String> sameButCase = sameButCase(t);
        if (!sameButCase.isEmpty()) {
            return "its columns " + sameButCase + " have names that differ only by case, which Debezium (it reads the"
                    + " changes) cannot tell apart: streaming the table would stop the whole pipeline; rename one of them"
                    + " (the table is then included when the stream starts again), or replicate this table with mode: table";
        }
        return null;
    }

    private static boolean quoteAtEnd(String name) {
        return name.startsWith("\"") || name.endsWith("\"");
    }

    /** The names of the table's columns that equal another one's but for case (empty when none do). */
    static List<String> sameButCase(TableInfo t) {
        Map<String, List<String>> byLowerCase = new java.util.LinkedHashMap<>();
        for (Column c : t.columns()) {
            byLowerCase.computeIfAbsent(c.name().toLowerCase(java.util.Locale.ROOT), k -> new java.util.ArrayList<>()).add(c.name());
        }
        return byLowerCase.values().stream().filter(names -> names.size() > 1).flatMap(List::stream).toList();
    }

    /**
     * Per schema of {@code schemas}, the tables (and partitions) whose column names differ only by case
     * ({@link #sameButCase}), which Debezium must not be given ({@link DebeziumProperties#of}).
     */
    static Map<String, List<String>> sameButCaseTables(Connection c, List<String> schemas) throws SQLException {
        Map<String, List<String>> out = new java.util.HashMap<>();
        try (java.sql.PreparedStatement ps = c.prepareStatement("SELECT n.nspname, r.relname FROM pg_attribute a"
                + " JOIN pg_class r ON r.oid = a.attrelid JOIN pg_namespace n ON n.oid = r.relnamespace"
                + " WHERE n.nspname = ANY(?) AND r.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped"
                + " GROUP BY n.nspname, r.relname HAVING count(*) <> count(DISTINCT lower(a.attname))")) {
            ps.setArray(1, c.createArrayOf("text", schemas.toArray()));
            try (java.sql.ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.computeIfAbsent(rs.getString(1), k -> new java.util.ArrayList<>()).add(rs.getString(2));
                }
            }
        }
        return out;
    }

    /** Saves the object's state; nothing when only the time would change. */
    void save(TableInfo t, ObjectRecord record, ObjectStatus status, ObjectProgress progress, String message) {
        if (record != null && record.tableOid() == t.oid() && record.status() == status && record.progress() == progress
                && java.util.Objects.equals(record.message(), message)) {
            return;
        }
        state.saveObject(new ObjectRecord(settings.name(), t.table().display(), t.oid(), status, progress,
                LogicalReplicationSource.MODE, message, Instant.now()));
    }

    /** Notes that a table skipped while streaming is no longer streamed. */
    void noteStopped(ObjectRecord r) {
        state.saveObject(r.withProgress(r.progress(), r.message() + "; not streamed since " + Instant.now()));
    }

    /** Saves the state of an included table. */
    void save(TableInfo t, ObjectProgress progress, String message) {
        save(t, null, ObjectStatus.INCLUDED, progress, message);
    }

    /**
     * Notes, once, that an included table is no longer in the catalog under its name; its destination rows stay.
     * {@code renamedTo} is the table's new name when a table of its OID is in the catalog (a rename, said as such).
     */
    void noteDropped(ObjectRecord r, Optional<String> renamedTo) {
        if (r.status() == ObjectStatus.INCLUDED && (r.message() == null || !r.message().startsWith(DROPPED))) {
            if (renamedTo.isPresent() && renamedTo.get().startsWith(PARTITION_OF)) {
                LOG.warn("pipeline {}: {} was {} at the source: its rows now arrive through that table, and its own"
                        + " destination table keeps its rows", settings.name(), r.object(), renamedTo.get());
            } else if (renamedTo.isPresent()) {
                LOG.warn("pipeline {}: {} was renamed to {} at the source: its rows now arrive under the new name (loaded"
                        + " whole), and the old name's destination table keeps its rows", settings.name(), r.object(), renamedTo.get());
            } else {
                LOG.warn("pipeline {}: {} was dropped at the source; its destination rows stay", settings.name(), r.object());
            }
            state.saveObject(r.withProgress(r.progress(), DROPPED + renamedTo.map(n -> " (" + (n.startsWith(PARTITION_OF) ? n
                    : "renamed to " + n) + ")").orElse("")
                    + " (noticed " + Instant.now() + "); the destination keeps its rows"));
        }
    }

    /** The name of the table of OID {@code oid} in {@code all}, if it is there. */
    static Optional<String> nameOf(long oid, List<TableInfo> all) {
        return all.stream().filter(t -> t.oid() == oid).map(t -> t.table().display()).findFirst();
    }

    static final String PARTITION_OF = "attached as a partition of ";

    /**
     * Where the table of OID {@code oid} went: its new name in {@code all}, or "attached as a partition of" its root (a
     * partition is not a table of its own in the catalog's list; before the twenty-second session it was said to be
     * dropped, found by the session's probe); empty when it is gone.
     */
    static Optional<String> whereNow(Connection c, long oid, List<TableInfo> all) throws SQLException {
        Optional<String> renamed = nameOf(oid, all);
        if (renamed.isPresent()) {
            return renamed;
        }
        try (java.sql.PreparedStatement ps = c.prepareStatement("SELECT pg_partition_root(c.oid)::regclass::text FROM pg_class c"
                + " WHERE c.oid = ?::oid AND c.relispartition")) {
            ps.setLong(1, oid);
            try (java.sql.ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(PARTITION_OF + rs.getString(1)) : Optional.empty();
            }
        }
    }

    static final String DROPPED = "dropped at the source";

    /** Drops the column list {@link SchemaTracker} keeps for the table. */
    void forgetColumns(TableInfo t) {
        state.deleteCursor(settings.name(), t.table().display());
    }

    /** The replica identity of each table, for {@link #decide}. */
    static Map<Long, Character> identities(Connection c, List<TableInfo> tables) throws SQLException {
        return SourceWal.replicaIdentities(c, tables.stream().map(TableInfo::oid).toList());
    }
}
