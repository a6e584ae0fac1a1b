package io.pgingest.source.logical;

import io.pgingest.catalog.Catalog;
import io.pgingest.catalog.TableInfo;
import io.pgingest.event.Column;
import io.pgingest.event.SourceTable;
import io.pgingest.pipeline.PipelineSettings;
import io.pgingest.source.BatchSink;
import io.pgingest.source.SourceConnections;
import io.pgingest.state.StateStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Follows the columns of the streamed tables while streaming. When Debezium's record schema of a
 * table changes, the table is described again from the catalog; columns added with values for the
 * existing rows (a DEFAULT or a generated column, which the WAL does not carry for those rows) are
 * queued as {@link ColumnReload}s, which the batch handler runs before it acknowledges the batch.
 * The description a table was last streamed with (its columns, their types and its key) is kept in the state
 * store (as the object's cursor, unused otherwise in this mode), so that a column added while the pipeline was
 * stopped, or before a crash, is still detected and re-loaded, and so that the changes the slot holds of a table
 * dropped or renamed while the pipeline was stopped can still be written ({@link #lastStreamed}). Pipelines of
 * earlier versions kept only the column names ({@code columns:}); those are still read. Used by the engine thread
 * only.
 */
final class SchemaTracker {

    private static final Logger LOG = LoggerFactory.getLogger(SchemaTracker.class);
    /** The older form of the kept description: the column names only. */
    private static final String PREFIX = "columns:";
    private static final String SEPARATOR = "\u001f";
    /** The kept description: {@link #describe}. */
    private static final String TABLE_PREFIX = "table:";

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
     * which runs with the first batch the engine hands over. So are columns changed meanwhile in a way no change in
     * the WAL tells ({@link #changedWhileStopped}): their values in the changes the slot still holds from before are
     * not written ({@link #stale}). Saves the description when there is none yet. The table's columns must have been
     * numbered first ({@link #numberColumns}).
     */
    LogicalTable initial(Connection c, TableInfo info) throws SQLException {
        LogicalTable table = LogicalTable.of(info);
        Optional<Kept> kept = kept(info);
        List<String> added = kept.isEmpty() ? List.of() : table.columns().stream().map(Column::name)
                .filter(n -> !kept.get().names().contains(n)).toList();
        boolean someGone = kept.isPresent() && kept.get().names().stream().anyMatch(n -> table.columnIndex(n) < 0);
        List<String> changed = kept.map(k -> changedWhileStopped(k, info)).orElse(List.of());
        List<Stale> staleNow = new ArrayList<>(kept.map(Kept::stale).orElse(List.of()));
        if (!changed.isEmpty() && !table.keys().isEmpty()) {
            // the change committed before the catalog was read, so before this position: every change of the table
            // the slot holds below it may carry the old column's values
            staleNow.add(new Stale(SourceWal.currentLsn(c), changed));
            LOG.info("pipeline {}: {}: the columns {} were dropped and added again, or rewritten with a new type, while the"
                    + " pipeline was stopped; their values are re-read, and the changes made before are written without them",
                    settings.name(), info.table().display(), changed);
        }
        if (!staleNow.isEmpty()) {
            stale.put(info.table().display(), List.copyOf(staleNow));
        }
        queueOrRemember(c, table, added, someGone, changed);
        return table;
    }

    /**
     * The columns of {@code info} changed since the kept description while the pipeline was stopped, which no change in
     * the WAL tells: dropped and added again under their names (a new number in the catalog), or given another type
     * by a rewrite of the table ({@code ALTER ... TYPE ... USING} may give every row another value). Empty when the
     * kept description has no numbers (kept by an earlier version) or is of another table (re-created: it is loaded).
     */
    private List<String> changedWhileStopped(Kept kept, TableInfo info) {
        Storage now = storage.get(info.oid());
        if (kept.info() == null || kept.storage() == null || now == null || kept.info().oid() != info.oid()) {
            return List.of();
        }
        java.util.Set<String> changed = new java.util.TreeSet<>(kept.storage().readdedIn(now));
        if (kept.storage().rewrittenIn(now)) {
            changed.addAll(retyped(kept.info(), info));
        }
        return List.copyOf(changed);
    }

    /** The names of the columns of {@code now} that {@code before} has with another type. */
    private static List<String> retyped(TableInfo before, TableInfo now) {
        List<String> out = new ArrayList<>();
        for (Column col : now.columns()) {
            for (Column was : before.columns()) {
                if (was.name().equals(col.name()) && !was.sourceType().equals(col.sourceType())) {
                    out.add(col.name());
                }
            }
        }
        return out;
    }

    /**
     * Per table ({@code schema.table}), the columns whose values in the changes below a WAL position are not the
     * column's values now ({@link #initial}); kept with the description, so that changes read again after a crash
     * are written without them too.
     */
    private final Map<String, List<Stale>> stale = new java.util.HashMap<>();

    /** Columns whose values in a change below {@code lsn} are an earlier column's, not to be written. */
    record Stale(long lsn, List<String> columns) {
    }

    /** The stale columns of {@code table} ({@code schema.table}); empty for most. */
    List<Stale> stale(String table) {
        return stale.getOrDefault(table, List.of());
    }

    /** Whether any table has stale columns (most pipelines: none, and nothing to look up per change). */
    boolean anyStale() {
        return !stale.isEmpty();
    }

    /** A connection for {@link #describedAsNow}, opened at its first use, closed by {@link #close}. */
    private Connection checks;

    /**
     * Whether the catalog still describes {@code table}'s columns as it does (their names, types and order). Asked at the
     * first change of each table a stream brings: the description was made when the pipeline started, and a change of
     * a column's type since (integer to numeric(20,5), say) keeps the column names, so nothing else would tell it until
     * another change of the table's columns (the values would be written with the old type: a conversion failure that
     * stops the pipeline, or numerics rounded to the old scale). A table that is gone is left to {@link #refresh}.
     */
    boolean describedAsNow(LogicalTable table) {
        try {
            return describedAsNowOnce(table);
        } catch (SQLException first) {
            close(); // most likely a connection the server closed (a restart): once more on a new one
            try {
                return describedAsNowOnce(table);
            } catch (SQLException e) {
                close(); // the next check connects again
                e.addSuppressed(first);
                throw new IllegalStateException("cannot check the columns of " + table.info().table().display()
                        + " in the catalog: " + e.getMessage(), e);
            }
        }
    }

    private boolean describedAsNowOnce(LogicalTable table) throws SQLException {
        if (checks == null || checks.isClosed()) {
            checks = SourceConnections.open(settings.source(), settings.name());
        }
        List<Column> now = Catalog.columnsOf(checks, table.info().oid());
        List<Column> described = table.info().columns();
        if (now.isEmpty()) {
            return true;
        }
        // a column dropped and added again under its name has a new number (names and types may stay the same)
        Storage numbers = storageOf(checks, table.info().oid());
        Storage known = storage.putIfAbsent(table.info().oid(), numbers);
        if (known != null && !known.readdedIn(numbers).isEmpty()) {
            return false; // refresh finds which
        }
        if (now.size() != described.size()) {
            return false;
        }
        for (int i = 0; i < now.size(); i++) {
            if (!now.get(i).name().equals(described.get(i).name())
                    || !now.get(i).sourceType().equals(described.get(i).sourceType())) {
                return false;
            }
        }
        return true;
    }

    /** Per table OID, what the catalog said of its storage when it was described ({@link #numberColumns}, {@link #refresh}). */
    private final Map<Long, Storage> storage = new java.util.HashMap<>();

    /**
     * What the catalog says of a table's storage: the number of each column ({@code attnum}; a column dropped and added
     * again under its name has a new one, with the same name and type), and its data files (the file node of the table,
     * or of each of its partitions), which a rewrite of the table ({@code ALTER ... TYPE} that is not binary-compatible,
     * {@code VACUUM FULL}) replaces.
     */
    record Storage(Map<String, Integer> numbers, String files) {

        /** The columns of {@code now} whose numbers differ from these: dropped and added again under their names. */
        List<String> readdedIn(Storage now) {
            return now.numbers.keySet().stream().filter(n -> numbers.containsKey(n) && !numbers.get(n).equals(now.numbers.get(n)))
                    .sorted().toList();
        }

        /** Whether the table was rewritten between this and {@code now}. */
        boolean rewrittenIn(Storage now) {
            return !files.equals(now.files);
        }
    }

    private static Storage storageOf(Connection c, long oid) throws SQLException {
        return storageOf(c, List.of(oid)).getOrDefault(oid, new Storage(Map.of(), ""));
    }

    /** Per table OID of {@code oids}, its storage ({@link Storage}). */
    private static Map<Long, Storage> storageOf(Connection c, List<Long> oids) throws SQLException {
        Map<Long, Map<String, Integer>> numbers = new java.util.HashMap<>();
        Map<Long, String> files = new java.util.HashMap<>();
        // pg_partition_tree lists a partitioned table's partitions, and nothing for a table that is not partitioned
        try (PreparedStatement ps = c.prepareStatement("WITH t AS (SELECT o, coalesce((SELECT string_agg(p.relfilenode::text, ','"
                + " ORDER BY p.oid) FROM pg_partition_tree(o::regclass) tree JOIN pg_class p ON p.oid = tree.relid"
                + " WHERE tree.isleaf), (SELECT relfilenode::text FROM pg_class WHERE oid = o), '') AS files"
                + " FROM unnest(?::oid[]) AS o)"
                + " SELECT a.attrelid::int8, a.attname, a.attnum, t.files FROM t JOIN pg_attribute a ON a.attrelid = t.o"
                + " WHERE a.attnum > 0 AND NOT a.attisdropped")) {
            ps.setArray(1, c.createArrayOf("bigint", oids.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    numbers.computeIfAbsent(rs.getLong(1), k -> new java.util.HashMap<>()).put(rs.getString(2), rs.getInt(3));
                    files.put(rs.getLong(1), rs.getString(4));
                }
            }
        }
        Map<Long, Storage> out = new java.util.HashMap<>();
        numbers.forEach((oid, n) -> out.put(oid, new Storage(n, files.get(oid))));
        return out;
    }

    /**
     * Notes the numbers of the columns of {@code tables}, just described, before {@link #initial}: in one statement for
     * them all, as the tables are described at a start.
     */
    void numberColumns(Connection c, List<TableInfo> tables) throws SQLException {
        if (!tables.isEmpty()) {
            storage.putAll(storageOf(c, tables.stream().map(TableInfo::oid).toList()));
        }
    }

    /** Closes the connection of the column checks, if one is open. */
    void close() {
        if (checks != null) {
            try {
                checks.close();
            } catch (SQLException ignored) {
                // closing: nothing more to do with it
            }
            checks = null;
        }
    }

    /**
     * The table described again from the catalog; queues a re-load of added columns that have values. A table renamed
     * since (found by its OID) is described under its new name and keeps the old one: its changes made before the
     * rename still go to the old name's destination table, without the re-load (the table under its new name is
     * loaded whole). A table dropped since, whose catalog entry is gone, keeps its old description plus the columns
     * of {@code streamed} it lacks, typed by the relation message Debezium had of them
     * ({@link SourceTextConverter#relationTypes}); a column whose type is not known there is not written (warned).
     *
     * @param streamed the names of the columns Debezium streams the table with now (its names)
     */
    LogicalTable refresh(LogicalTable old, List<String> streamed) {
        TableInfo info = old.info();
        try (Connection c = SourceConnections.open(settings.source(), settings.name())) {
            Optional<SourceTable> now = nameOf(c, info.oid());
            if (now.isEmpty()) {
                return dropped(c, old, streamed);
            }
            boolean renamed = !now.get().equals(info.table());
            TableInfo described = Catalog.describe(c, info.table().database(), now.get().schema(), now.get().table());
            TableInfo fresh = renamed ? new TableInfo(info.table(), described.oid(), described.partitioned(), described.unlogged(),
                    described.columns(), described.keyColumns(), described.primaryKey(), described.estimatedRows(),
                    described.deferrableKey()) : described;
            LogicalTable table = LogicalTable.of(fresh);
            Storage numbers = storageOf(c, info.oid());
            Storage known = storage.put(info.oid(), numbers); // the storage of this description from now on
            List<String> readdedNames = known == null ? List.of() : known.readdedIn(numbers);
            List<String> addedNames = table.columns().stream().map(Column::name)
                    .filter(n -> old.columnIndex(n) < 0 || readdedNames.contains(n)).toList();
            List<String> retypedNames = retyped(old.info(), table.info());
            // a rewrite may have given each row another value (ALTER ... TYPE ... USING), which the WAL does not carry
            List<String> rewritten = known == null || known.rewrittenIn(numbers) ? retypedNames : List.of();
            List<String> retyped = table.info().columns().stream().filter(n -> retypedNames.contains(n.name()))
                    .map(n -> n.name() + " " + n.sourceType()).toList();
            if (!renamed) {
                staleFrom(c, table, readdedNames, rewritten);
            }
            List<String> droppedNames = old.columns().stream().map(Column::name).filter(n -> table.columnIndex(n) < 0).toList();
            LOG.info("pipeline {}: {} changed its columns (added: {}{}{}); now streaming {}{}", settings.name(),
                    info.table().display(), addedNames, (droppedNames.isEmpty() ? "" : ", dropped or renamed: " + droppedNames
                    + " (their destination columns stay)") + (retyped.isEmpty() ? "" : ", type changed: " + retyped),
                    rewritten.isEmpty() ? "" : ", the table rewritten: their values are re-read",
                    table.columns().stream().map(Column::name).toList(),
                    renamed ? " (renamed since to " + now.get().display() + ": its earlier changes keep the old name)" : "");
            if (renamed) {
                remember(table);
            } else {
                queueOrRemember(c, table, addedNames, !readdedNames.isEmpty()
                        || old.columns().stream().anyMatch(col -> table.columnIndex(col.name()) < 0), rewritten);
            }
            return table;
        } catch (SQLException e) {
            throw new IllegalStateException("cannot describe " + info.table().display() + " again after its columns changed: "
                    + e.getMessage(), e);
        }
    }

    /**
     * Notes as stale ({@link #stale}) the columns of a keyed table that were dropped and added again under their names
     * ({@code readded}), or rewritten with a new type ({@code rewritten}), while the pipeline streams: the changes of the
     * table below the WAL position now (the catalog change committed before it) may carry the old column's values,
     * which may not even fit the new column's type (a dropped text column added again as boolean stopped the pipeline on
     * every retry, found by the twenty-second session's probe). They are written without those values; the re-load
     * {@link #refresh} queues gives every row its value now. A table without key cannot be re-loaded by key, so its
     * changes keep the values they carry.
     */
    private void staleFrom(Connection c, LogicalTable table, List<String> readded, List<String> rewritten) throws SQLException {
        List<String> columns = java.util.stream.Stream.concat(readded.stream(), rewritten.stream()).distinct()
                .filter(n -> table.columnIndex(n) >= 0 && !table.keys().contains(n)).sorted().toList();
        if (columns.isEmpty() || table.keys().isEmpty()) {
            return;
        }
        String name = table.info().table().display();
        List<Stale> now = new ArrayList<>(stale(name));
        now.add(new Stale(SourceWal.currentLsn(c), columns));
        stale.put(name, List.copyOf(now));
        LOG.info("pipeline {}: {}: the columns {} were dropped and added again, or rewritten with a new type; the changes"
                + " made before are written without them, and their values are re-read", settings.name(), name, columns);
    }

    /** See {@link #refresh}: the description of a table dropped at the source, with the columns added before the drop. */
    private LogicalTable dropped(Connection c, LogicalTable old, List<String> streamed) throws SQLException {
        TableInfo info = old.info();
        Map<String, Integer> types = SourceTextConverter.relationTypes(ReplicationNames.slot(settings.name()),
                DebeziumNames.toDebezium(info.table().schema()) + "." + DebeziumNames.toDebezium(info.table().table()));
        List<Column> columns = new ArrayList<>(info.columns());
        List<String> lost = new ArrayList<>();
        for (String debeziumName : streamed) {
            String name = DebeziumNames.fromDebezium(debeziumName);
            if (old.columnIndex(name) >= 0) {
                continue;
            }
            Integer oid = types.get(debeziumName);
            String type = oid == null ? null : typeName(c, oid);
            if (type == null) {
                lost.add(name);
            } else {
                columns.add(new Column(name, type, null, -1, -1, true));
            }
        }
        LogicalTable table = LogicalTable.of(new TableInfo(info.table(), info.oid(), info.partitioned(), info.unlogged(),
                columns, info.keyColumns(), info.primaryKey(), info.estimatedRows(), info.deferrableKey()));
        LOG.info("pipeline {}: {} changed its columns before it was dropped at the source; its changes are written with"
                + " the columns {}{}", settings.name(), info.table().display(), table.columns().stream().map(Column::name).toList(),
                lost.isEmpty() ? "" : " (not " + lost + ", whose types the replication stream did not tell: their values are not written)");
        if (!lost.isEmpty()) {
            LOG.warn("pipeline {}: {}: the values of the columns {} added before the table was dropped are not written",
                    settings.name(), info.table().display(), lost);
        }
        return table;
    }

    /** The name of a type by its OID, without a modifier ({@code format_type}); null when the type is gone too. */
    private static String typeName(Connection c, int oid) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT format_type(t.oid, NULL) FROM pg_type t WHERE t.oid = ?::oid")) {
            ps.setInt(1, oid);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }

    /** The table's schema and name now, empty when no table has the OID (dropped). */
    private static Optional<SourceTable> nameOf(Connection c, long oid) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT n.nspname, c.relname, current_database() FROM pg_class c"
                + " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = ?::oid")) {
            ps.setLong(1, oid);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(new SourceTable(rs.getString(3), rs.getString(1), rs.getString(2))) : Optional.empty();
            }
        }
    }

    /**
     * Queues a re-load of the {@code added} columns that have values in the existing rows (all of them when
     * {@code someGone}: a column gone while others came may have been renamed, and its values are in the existing rows
     * under the new name) and of the {@code changed} ones; remembers the description when there is nothing to re-load.
     */
    private void queueOrRemember(Connection c, LogicalTable table, List<String> added, boolean someGone, List<String> changed)
            throws SQLException {
        List<String> reload = new ArrayList<>(added.isEmpty() ? List.of()
                : someGone ? added : ColumnReload.withValues(c, table.info().oid(), added));
        List<String> changedKeys = changed.stream().filter(table.keys()::contains).toList();
        if (!changedKeys.isEmpty()) {
            LOG.warn("pipeline {}: {}: the key columns {} were rewritten with a new type (or dropped and added again): the"
                    + " destination rows keep the keys they had, and the rows changed from now on are written by their new"
                    + " keys; restart the table's historical load (--restart-historical-load {} {}) after dropping its"
                    + " destination table", settings.name(), table.info().table().display(), changedKeys, settings.name(),
                    table.info().table().display());
        }
        changed.stream().filter(n -> !reload.contains(n) && table.columnIndex(n) >= 0 && !table.keys().contains(n))
                .forEach(reload::add);
        if (!reload.isEmpty() && table.keys().isEmpty() && settings.matchKeylessTables()) {
            // its removals compare every column: an old row the destination holds without the added column's value would
            // match none, and a deleted row stay live (found by the twenty-second session's probe)
            LOG.warn("pipeline {}: {} has no key: the values of the added or changed columns {} in its existing rows cannot"
                    + " be re-read by key, so the table is loaded again (its destination rows replaced, keylessTables: match)",
                    settings.name(), table.info().table().display(), reload);
            String name = table.info().table().display();
            state.objects(settings.name()).stream().filter(r -> r.object().equals(name)
                    && r.status() == io.pgingest.state.ObjectStatus.INCLUDED && !TablePlanner.loadOwed(r)).findFirst()
                    .ifPresent(r -> LogicalReplicationSource.requestReload(state, r, "columns " + reload + " added or changed at "
                            + java.time.Instant.now()));
        } else if (!reload.isEmpty() && table.keys().isEmpty()) {
            LOG.warn("pipeline {}: {} has no key: the values of the added or changed columns {} in its existing rows cannot"
                    + " be re-loaded; restart its historical load to get them", settings.name(), table.info().table().display(),
                    reload);
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
                LOG.info("pipeline {}: re-loaded the added or changed columns {} of {} for {} existing rows", settings.name(),
                        r.added().stream().map(Column::name).toList(), r.table().info().table().display(), rows);
                remember(r.table());
                pending.remove(0);
            }
        }
    }

    /**
     * What was kept of a table when it was last streamed: its column names, and in the current form also its
     * description, its storage (kept since the twentieth session) and its stale columns; null where not kept.
     */
    record Kept(List<String> names, TableInfo info, Storage storage, List<Stale> stale) {
    }

    /** What was kept of the table when it was last streamed, if anything. */
    private Optional<Kept> kept(TableInfo info) {
        Optional<String> kept = state.cursor(settings.name(), info.table().display());
        if (kept.isPresent() && kept.get().startsWith(TABLE_PREFIX)) {
            return Optional.of(parseKept(info.table().database(), kept.get()));
        }
        return kept.filter(s -> s.startsWith(PREFIX)).map(s -> new Kept(
                Arrays.asList(s.substring(PREFIX.length()).split(SEPARATOR, -1)), null, null, List.of()));
    }

    /**
     * The table {@code name} ({@code schema.table}) as it was last streamed, from the description kept in the state
     * store; empty when none was kept (never streamed, or last streamed by a version that kept only column names).
     */
    Optional<LogicalTable> lastStreamed(String name) {
        return state.cursor(settings.name(), name).filter(s -> s.startsWith(TABLE_PREFIX))
                .map(s -> LogicalTable.of(parse(settings.source().database(), s)));
    }

    private void remember(LogicalTable table) {
        state.saveCursor(settings.name(), table.info().table().display(), describe(table.info(),
                storage.get(table.info().oid()), stale(table.info().table().display())));
    }

    /** The kept form of a description without storage (see {@link #describe(TableInfo, Storage, List)}). */
    static String describe(TableInfo info) {
        return describe(info, null, List.of());
    }

    /**
     * The kept form of a description: {@code table:} then its parts, each written as its length, a colon and the text
     * (names may hold any character): schema, table, OID, partitioned, primary key, the number of key columns and
     * their names, the number of columns and per column its name, source type and nullability. Then, when the storage
     * is known: its files and each column's number, then the number of stale column sets and per set its position,
     * the number of its columns and their names.
     */
    static String describe(TableInfo info, Storage storage, List<Stale> stale) {
        StringBuilder out = new StringBuilder(TABLE_PREFIX);
        List<String> parts = new ArrayList<>(List.of(info.table().schema(), info.table().table(), Long.toString(info.oid()),
                Boolean.toString(info.partitioned()), Boolean.toString(info.primaryKey()),
                Integer.toString(info.keyColumns().size())));
        parts.addAll(info.keyColumns());
        parts.add(Integer.toString(info.columns().size()));
        for (Column c : info.columns()) {
            parts.add(c.name());
            parts.add(c.sourceType());
            parts.add(Boolean.toString(c.nullable()));
        }
        if (storage != null) {
            parts.add(storage.files());
            for (Column c : info.columns()) {
                parts.add(Integer.toString(storage.numbers().getOrDefault(c.name(), -1)));
            }
            parts.add(Integer.toString(stale.size()));
            for (Stale s : stale) {
                parts.add(Long.toString(s.lsn()));
                parts.add(Integer.toString(s.columns().size()));
                parts.addAll(s.columns());
            }
        }
        for (String p : parts) {
            out.append(p.length()).append(':').append(p);
        }
        return out.toString();
    }

    /** A description kept by {@link #describe}, of a table of {@code database}. */
    static TableInfo parse(String database, String kept) {
        return parseKept(database, kept).info();
    }

    /** All that {@link #describe} kept, of a table of {@code database}. */
    static Kept parseKept(String database, String kept) {
        int[] at = {TABLE_PREFIX.length()};
        java.util.function.Supplier<String> next = () -> {
            int colon = kept.indexOf(':', at[0]);
            int length = Integer.parseInt(kept.substring(at[0], colon));
            at[0] = colon + 1 + length;
            return kept.substring(colon + 1, at[0]);
        };
        SourceTable table = new SourceTable(database, next.get(), next.get());
        long oid = Long.parseLong(next.get());
        boolean partitioned = Boolean.parseBoolean(next.get());
        boolean primaryKey = Boolean.parseBoolean(next.get());
        List<String> keys = new ArrayList<>();
        for (int i = Integer.parseInt(next.get()); i > 0; i--) {
            keys.add(next.get());
        }
        List<Column> columns = new ArrayList<>();
        for (int i = Integer.parseInt(next.get()); i > 0; i--) {
            columns.add(new Column(next.get(), next.get(), null, -1, -1, Boolean.parseBoolean(next.get())));
        }
        TableInfo info = new TableInfo(table, oid, partitioned, false, columns, keys, primaryKey, 0);
        List<String> names = columns.stream().map(Column::name).toList();
        if (at[0] >= kept.length()) {
            return new Kept(names, info, null, List.of()); // kept before the storage was
        }
        String files = next.get();
        Map<String, Integer> numbers = new java.util.HashMap<>();
        for (Column c : columns) {
            numbers.put(c.name(), Integer.parseInt(next.get()));
        }
        List<Stale> stale = new ArrayList<>();
        for (int i = Integer.parseInt(next.get()); i > 0; i--) {
            long lsn = Long.parseLong(next.get());
            List<String> staleColumns = new ArrayList<>();
            for (int j = Integer.parseInt(next.get()); j > 0; j--) {
                staleColumns.add(next.get());
            }
            stale.add(new Stale(lsn, List.copyOf(staleColumns)));
        }
        return new Kept(names, info, new Storage(numbers, files), List.copyOf(stale));
    }
}
