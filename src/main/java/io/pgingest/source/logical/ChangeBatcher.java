package io.pgingest.source.logical;

import io.pgingest.event.Column;
import io.pgingest.event.LoadKind;
import io.pgingest.event.Metadata;
import io.pgingest.event.RowBatch;
import io.pgingest.event.WriteMode;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns one Debezium batch (in LSN order) into {@link RowBatch}es per table. Records without an
 * operation (heartbeats, transaction markers) are ignored. Several changes of one key collapse to
 * the last; an unchanged-TOAST placeholder takes the key's earlier value from the same batch when
 * there is one. A TRUNCATE of a table drops its changes before it in the batch and becomes a
 * {@link WriteMode#TRUNCATE} batch, listed before every other batch (the output is written in order).
 * Each key lands in exactly one output batch:
 * <ul>
 * <li>inserts, updates and snapshot reads: every column plus {@code _pgingest_deleted = false};</li>
 * <li>deletes: the key columns plus {@code _pgingest_deleted = true} (the destination keeps the row's
 *     other values: an upsert of a subset of columns updates only those); a delete after an earlier change of the key
 *     in the batch carries the values that change left, so the result does not depend on where batches end;</li>
 * <li>rows still holding the placeholder: the columns without it, so the destination keeps its value.</li>
 * </ul>
 * Tables without key append every change (deletes as the old row marked deleted).
 * <p>When a table's record schema changes (ALTER TABLE while streaming), the table is described again
 * through the {@link SchemaTracker}; a column a record lacks (dropped, or added after the record was
 * written) is not written, so the destination keeps its value.
 * <p>Runs once per change in a backlog drain, so what can be is worked out once per record schema
 * (Debezium reuses one schema object per table version) and looked up by identity: the table a record
 * belongs to, and which record field holds each column. Not thread-safe.
 */
final class ChangeBatcher {

    private static final Logger LOG = LoggerFactory.getLogger(ChangeBatcher.class);

    private final String pipeline;
    private final Map<String, LogicalTable> tables;
    private final SchemaTracker tracker;
    /** The record schema each table was last checked against (Debezium reuses one schema object per version). */
    private final Map<String, Schema> checked = new HashMap<>();
    /** The record key schema each keyed table was last checked against ({@link #currentKey}). */
    private final Map<String, Schema> checkedKeys = new HashMap<>();
    /** The envelope fields and source table of each value schema seen. */
    private final Map<Schema, Envelope> envelopes = new IdentityHashMap<>();
    /** Per row schema ({@code after} or {@code before}): the record field of each column of the table version. */
    private final Map<Schema, Layout> layouts = new IdentityHashMap<>();
    /** Per table version: which columns are its key, and the column subsets most changes write. */
    private final Map<LogicalTable, Masks> masks = new IdentityHashMap<>();

    /**
     * The fields of a Debezium change envelope and the table ({@code schema.table}) its records belong to;
     * {@code op} and {@code table} are null for records that are not row changes (heartbeats, transaction
     * markers, logical decoding messages).
     */
    private record Envelope(String table, Field op, Field before, Field after) {
        static final Envelope NOT_A_CHANGE = new Envelope(null, null, null, null);
    }

    /** The record field holding each column of {@code table} (null where the record lacks the column). */
    private record Layout(LogicalTable table, Field[] fields) {
    }

    /** Per table version: key columns, every column, only the key (both with the deleted flag, the last index). */
    private record Masks(boolean[] key, BitSet all, BitSet keyOnly) {
    }

    ChangeBatcher(String pipeline, Map<String, LogicalTable> tables, SchemaTracker tracker) {
        this(pipeline, tables, tracker, false);
    }

    /**
     * @param matchKeyless {@code keylessTables: match}: the changes of tables without key become {@link WriteMode#MATCH}
     *                     batches (else appended, {@link WriteMode#APPEND})
     */
    ChangeBatcher(String pipeline, Map<String, LogicalTable> tables, SchemaTracker tracker, boolean matchKeyless) {
        this.pipeline = pipeline;
        this.tables = new HashMap<>(tables);
        this.tracker = tracker;
        this.matchKeyless = matchKeyless;
    }

    private final boolean matchKeyless;

    /** Matched tables an update of which came without its old row (see {@link #unmatchable()}). */
    private final Set<String> unmatchable = new java.util.LinkedHashSet<>();

    /**
     * The matched tables ({@code keylessTables: match}) of which an update came without its old row since the last call
     * (it was logged before the table was REPLICA IDENTITY FULL, e.g. while it had a key): the row it changed cannot be
     * found, only its new row was added, so the table must be loaded again.
     */
    List<String> unmatchable() {
        List<String> out = List.copyOf(unmatchable);
        unmatchable.clear();
        return out;
    }

    /** Whether the changes of {@code table} are matched on their values ({@link WriteMode#MATCH}). */
    private boolean matches(LogicalTable table) {
        return matchKeyless && table.writeMode() == WriteMode.APPEND;
    }

    /** The tables streamed now, by {@code schema.table} (a copy). */
    Map<String, LogicalTable> tables() {
        return new LinkedHashMap<>(tables);
    }

    /** Per table, the snapshot its last load began with ({@link LoadSnapshot}). */
    private final Map<String, LoadSnapshot> loadSnapshots = new HashMap<>();

    /**
     * The tables whose snapshot this stream no longer applies ({@link #loaded}). A stream that starts again applies them
     * all again: it begins at the slot's confirmed position, which may lie before transactions a load saw (their changes
     * were skipped, not confirmed). Forgotten for good, such a change was appended again after a source restart (300
     * rows of a COPY twice in the chaos script's restart scenario).
     */
    private final Set<String> forgottenSnapshots = new java.util.HashSet<>();

    /**
     * The snapshot the rows of the table were last read in (a table without key: in one statement; with a key: the
     * snapshot before the first page, every page reading after it); null when none is known. Its changes of the
     * transactions the snapshot sees are in the loaded rows already: not appended again to a table without key, written
     * below the loaded rows' position to a keyed one. Forgotten until the stream starts again at the first change of a
     * transaction that began after it (none it sees comes later in the stream).
     */
    void loaded(String name, LoadSnapshot snapshot) {
        forgottenSnapshots.remove(name);
        if (snapshot == null) {
            loadSnapshots.remove(name);
        } else {
            loadSnapshots.put(name, snapshot);
        }
    }

    /** Streams a table added while streaming (or a re-created one in place of its old version). */
    void add(LogicalTable table) {
        String name = table.info().table().display();
        tables.put(name, table);
        checked.remove(name);
        checkedKeys.remove(name);
        layouts.values().removeIf(l -> l.table().info().table().display().equals(name));
    }

    /** Stops streaming a table (skipped by an operator): its changes are no longer written. */
    void remove(String name) {
        tables.remove(name);
        checked.remove(name);
        checkedKeys.remove(name);
        layouts.values().removeIf(l -> l.table().info().table().display().equals(name));
    }

    /** The tables named by data records that the batcher does not stream. */
    List<String> unknownTables(List<SourceRecord> records) {
        List<String> out = new ArrayList<>();
        for (SourceRecord r : records) {
            if (r.value() instanceof Struct v) {
                String name = envelope(v).table();
                if (name != null && !tables.containsKey(name) && !out.contains(name)) {
                    out.add(name);
                }
            }
        }
        return out;
    }

    /**
     * One change after decoding: the row (columns + deleted flag; null for a truncate), its table (and name) and kind;
     * for a table without key its {@link Metadata#CHANGE} value, otherwise null; the old row where it is used (see
     * {@link #decode}); the source transaction's id ({@code txId}), -1 when the record has none.
     */
    private record Change(String name, LogicalTable table, Object[] row, boolean deleted, LoadKind kind, boolean created,
                          java.math.BigDecimal id, Object[] old, long tx) {
        Change(String name, LogicalTable table, Object[] row, boolean deleted, LoadKind kind, boolean created, long tx) {
            this(name, table, row, deleted, kind, created, null, null, tx);
        }

        Change withId(java.math.BigDecimal changeId) {
            return new Change(name, table, row, deleted, kind, created, changeId, old, tx);
        }
    }

    /**
     * Per table whose key is DEFERRABLE, the rows (not deleted) that the last transaction of the previous batches wrote,
     * by key, while that transaction ({@link #carriedTx}) may go on in the next batch: a delete there may remove another
     * row of such a key ({@link #removesAnotherRow}).
     */
    private Map<String, Map<Object, Change>> carried = Map.of();
    private long carriedTx = -1;

    /**
     * The WAL position of the last streamed change, and how many changes before it had the same one: the rows of one
     * COPY page (a multi-insert WAL record) share an LSN, and are told apart by their number in it.
     */
    private long lastLsn = -1;
    private int sameLsn;

    /**
     * Forgets the last change's LSN: the next record begins a new stream. A Debezium task that starts (again) streams
     * from the beginning of a transaction (the server sends every transaction not confirmed whole), so a group of
     * changes sharing an LSN is never continued from an earlier task's ({@link LeanPostgresConnector#taskStarts}).
     */
    void streamRestarted() {
        lastLsn = -1;
        sameLsn = 0;
        forgottenSnapshots.clear();
        carried = Map.of();
        carriedTx = -1;
    }

    /**
     * Rows a batch inserted without some of their values: the new row of an UPDATE that changed the key (Debezium
     * sends it as an insert after a delete of the old key) does not carry the values the server did not send
     * (unchanged TOASTed ones); the destination has no row of that key to keep them from, so they are read from the
     * source ({@link ReadBackColumns#fill}).
     *
     * @param keys    each row's key values, in the order of the table's keys
     * @param columns the names of the columns missing in any of these rows
     */
    record Missing(LogicalTable table, List<Object[]> keys, Set<String> columns) {
    }

    private final List<Missing> missing = new ArrayList<>();

    /** The rows of the last {@link #batches} call inserted without some values (see {@link Missing}). */
    List<Missing> missing() {
        return missing;
    }

    /**
     * The row batches of the records, with {@code position}; the changes a keyed table's load saw with one below the
     * loaded rows' ({@link #loaded}).
     */
    List<RowBatch> batches(List<SourceRecord> records, long position) {
        Map<String, Map<Object, Change>> perTable = new LinkedHashMap<>();
        // per table, deletes of keys a later change of the batch wrote another way (see KeyValues): written first
        Map<String, Map<Object, Change>> superseded = new HashMap<>(0);
        // per keyed table, the keys whose last change is of a transaction the table's load saw: written below the load
        Map<String, Set<Object>> belowLoad = new HashMap<>(0);
        Map<String, Long> loadPositions = new HashMap<>(0);
        // the load snapshots to forget, once the batch converted (a failed conversion is retried from its first record)
        Set<String> forget = new java.util.HashSet<>(0);
        List<LogicalTable> truncated = new ArrayList<>(0);
        // per table without key, the change number of its last truncate in the batch (see LogicalTable#truncated)
        Map<LogicalTable, java.math.BigDecimal> truncateNumbers = new HashMap<>(0);
        // per table without key appended, its changes before its last truncate in the batch: appended before the truncate,
        // which soft-deletes them (an append log has a row for every change, whatever the batch's bounds)
        Map<LogicalTable, List<Change>> beforeTruncate = new HashMap<>(0);
        // per table, the position of a truncate of a transaction its load saw (see #truncateLoaded)
        Map<LogicalTable, Long> truncatePositions = new HashMap<>(0);
        // numbered from the state before this batch, kept only when the batch converted (a failed conversion is retried)
        long last = lastLsn;
        int same = sameLsn;
        long lastTx = -1;
        for (SourceRecord record : records) {
            Change change = decode(record);
            if (change == null) {
                continue;
            }
            lastTx = change.tx() >= 0 ? change.tx() : lastTx;
            boolean seen = false;
            if (change.row() != null && change.kind() == LoadKind.INCREMENTAL) {
                long lsn = lsnOf(record);
                same = lsn == last ? same + 1 : 0;
                last = lsn;
                LoadSnapshot read = forgottenSnapshots.contains(change.name()) ? null : loadSnapshots.get(change.name());
                seen = read != null && record.sourceOffset() != null && record.sourceOffset().get("txId") instanceof Number xid
                        && read.sees(xid.longValue());
                if (seen && (change.table().writeMode() == WriteMode.APPEND || read.position() <= 0)) {
                    continue; // committed before the table's rows were read: in them already
                }
                if (read != null && !seen && record.sourceOffset().get("txId") instanceof Number xid && read.beganAfter(xid.longValue())) {
                    forget.add(change.name()); // no transaction the load saw comes after this one
                }
                if (change.table().writeMode() == WriteMode.APPEND) {
                    change = change.withId(Metadata.change(lsn, same));
                }
            }
            LoadSnapshot loaded = change.row() == null ? truncateLoaded(change, record) : null;
            if (loaded != null && loaded.position() <= 0) {
                continue; // committed before the table's rows were read: they hold what it left
            }
            if (loaded != null) {
                // below the loaded rows, so that it soft-deletes only rows the load did not write
                truncatePositions.put(change.table(), Math.min(position, loaded.position() - 1));
            }
            if (change.row() == null) {
                // a truncate: the table's changes before it are gone at the source too; written before the later ones
                Map<Object, Change> earlier = perTable.remove(change.name());
                if (earlier != null && change.table().writeMode() == WriteMode.APPEND) {
                    beforeTruncate.computeIfAbsent(change.table(), t -> new ArrayList<>()).addAll(earlier.values());
                }
                superseded.remove(change.name());
                if (carried.containsKey(change.name())) {
                    carried.remove(change.name());
                }
                belowLoad.remove(change.name());
                if (!truncated.contains(change.table())) {
                    truncated.add(change.table());
                }
                if (change.table().writeMode() == WriteMode.APPEND && lsnOf(record) > 0) {
                    truncateNumbers.put(change.table(), Metadata.change(lsnOf(record), 0));
                }
                continue;
            }
            Map<Object, Change> changes = perTable.computeIfAbsent(change.name(), t -> new LinkedHashMap<>());
            Object key = change.table().keys().isEmpty() ? new Object() : keyOf(change, true);
            if (change.old() != null && change.deleted() && removesAnotherRow(change, changes.containsKey(key)
                    ? changes.get(key) : carried.getOrDefault(change.name(), Map.of()).get(key))) {
                continue; // under a DEFERRABLE key, the delete of a row whose key another row took already
            }
            Change previous = changes.remove(key);
            if (previous != null) {
                Object before = keyOf(previous, false);
                if (!before.equals(keyOf(change, false))) {
                    superseded.computeIfAbsent(change.name(), t -> new LinkedHashMap<>())
                            .putIfAbsent(before, deleteOf(previous));
                }
            }
            changes.put(key, previous == null ? change : merge(adapt(previous, change.table()), change));
            if (seen) {
                belowLoad.computeIfAbsent(change.name(), t -> new java.util.HashSet<>()).add(key);
                loadPositions.put(change.name(), loadSnapshots.get(change.name()).position());
            } else if (belowLoad.containsKey(change.name())) {
                belowLoad.get(change.name()).remove(key);
            }
        }
        Instant now = Instant.now();
        List<RowBatch> out = new ArrayList<>();
        for (LogicalTable table : truncated) {
            List<Change> appended = beforeTruncate.get(table);
            if (appended != null) {
                out.addAll(group(table, appended.stream().map(c -> adapt(c, table)).toList(), position, now));
            }
            java.math.BigDecimal number = truncateNumbers.get(table);
            long at = truncatePositions.getOrDefault(table, position);
            out.add(number != null ? table.truncated(pipeline, at, number, now)
                    : table.earlierRowsDeleted(pipeline, at, LoadKind.INCREMENTAL, now));
        }
        missing.clear();
        perTable.forEach((name, changes) -> {
            LogicalTable table = tables.get(name);
            Map<Object, Change> deletes = superseded.get(name);
            if (deletes != null) {
                out.addAll(group(table, deletes.values().stream().map(c -> adapt(c, table)).toList(), position, now));
            }
            List<Change> adapted = changes.values().stream().map(c -> adapt(c, table)).toList();
            Set<Object> below = belowLoad.getOrDefault(name, Set.of());
            if (below.isEmpty()) {
                out.addAll(group(table, adapted, position, now));
            } else {
                // changes the table's load saw: below the loaded rows' position, so that they change only rows the load
                // did not write (those of a table dropped and re-created while the pipeline was stopped, say)
                List<Change> early = new ArrayList<>();
                List<Change> rest = new ArrayList<>();
                changes.forEach((key, c) -> (below.contains(key) ? early : rest).add(adapt(c, table)));
                out.addAll(group(table, early, Math.min(position, loadPositions.get(name) - 1), now));
                out.addAll(group(table, rest, position, now));
            }
            noteMissing(table, adapted);
        });
        lastLsn = last;
        sameLsn = same;
        forgottenSnapshots.addAll(forget);
        carry(perTable, lastTx);
        return out;
    }

    /**
     * Keeps the rows the batch's last transaction {@code tx} wrote into tables with a DEFERRABLE key ({@link #carried}),
     * added to those of its earlier batches while it goes on.
     */
    private void carry(Map<String, Map<Object, Change>> perTable, long tx) {
        Map<String, Map<Object, Change>> kept = tx >= 0 && tx == carriedTx ? carried : new HashMap<>(0);
        perTable.forEach((name, changes) -> {
            LogicalTable table = tables.get(name);
            if (table == null || !table.info().deferrableKey() || table.writeMode() != WriteMode.UPSERT) {
                return;
            }
            changes.forEach((key, c) -> {
                if (c.tx() == tx && tx >= 0) {
                    Map<Object, Change> rows = kept.computeIfAbsent(name, n -> new HashMap<>());
                    if (c.deleted()) {
                        rows.remove(key);
                    } else {
                        rows.put(key, c);
                    }
                }
            });
        });
        carried = kept;
        carriedTx = tx;
    }

    /**
     * The snapshot of the table's load when the truncate {@code change} is of a transaction that load saw, else null: the
     * loaded rows are what it left, and streamed after the load at the batch's position it soft-deleted every one of them
     * (found by the twenty-second session's probe, with a TRUNCATE the slot held from before a Restart Historical Load).
     * Written below the loaded rows' position instead, it soft-deletes only rows the load did not write (a table dropped
     * and re-created while the pipeline was stopped left its old rows); without a known position it is left out.
     */
    private LoadSnapshot truncateLoaded(Change change, SourceRecord record) {
        LoadSnapshot read = forgottenSnapshots.contains(change.name()) ? null : loadSnapshots.get(change.name());
        return read != null && record.sourceOffset() != null && record.sourceOffset().get("txId") instanceof Number xid
                && read.sees(xid.longValue()) ? read : null;
    }

    /** The source transaction of a change record (its offset's {@code txId}), -1 when it has none. */
    private static long txOf(SourceRecord r) {
        Object tx = r.sourceOffset() == null ? null : r.sourceOffset().get("txId");
        return tx instanceof Number n ? n.longValue() : -1;
    }

    /**
     * Whether the delete {@code delete} removed another row of its key than the one {@code written} (the key's last change
     * the pipeline has, not deleted) left. Under a DEFERRABLE key two rows may hold one key inside a transaction:
     * {@code UPDATE t SET id = id + 1} moves row 1 onto key 2 (a delete of key 1 and an insert of key 2, as Debezium sends
     * a key change), then row 2 on to key 3 (a delete of key 2 and an insert of key 3): the delete of key 2 removes the
     * old row 2, not the row that came from 1, which stays. Written by key, that delete soft-deleted the live row (found
     * by the twentieth session's probe). The old row tells them apart under REPLICA IDENTITY FULL (under DEFAULT it holds
     * only the key): when it differs from the row the transaction wrote for the key, the delete's row was replaced
     * already and the delete is left out. Only within one transaction (at a commit the key is unique again), of the same
     * table version, and on the values both rows carry.
     */
    private boolean removesAnotherRow(Change delete, Change written) {
        if (written == null || written.deleted() || delete.old() == null || delete.tx() < 0 || written.tx() != delete.tx()
                || written.table() != delete.table() || written.kind() != LoadKind.INCREMENTAL) {
            return false;
        }
        boolean[] key = masks(delete.table()).key();
        Object[] row = written.row();
        Object[] old = delete.old();
        for (int i = 0; i < key.length; i++) {
            if (!key[i] && row[i] != DebeziumValues.UNAVAILABLE && old[i] != DebeziumValues.UNAVAILABLE
                    && !java.util.Objects.deepEquals(row[i], old[i])) {
                return true;
            }
        }
        return false;
    }

    /** The WAL position of a change record (its offset's {@code lsn}), 0 when it has none. */
    static long lsnOf(SourceRecord r) {
        Object lsn = r.sourceOffset() == null ? null : r.sourceOffset().get("lsn");
        return lsn instanceof Number n ? n.longValue() : 0;
    }

    /** Notes the inserted rows of a keyed table that lack values (see {@link Missing}). */
    private void noteMissing(LogicalTable table, List<Change> changes) {
        if (table.keys().isEmpty()) {
            return;
        }
        boolean[] key = masks(table).key();
        List<Object[]> keys = null;
        Set<String> columns = null;
        for (Change c : changes) {
            if (!c.created() || c.deleted()) {
                continue;
            }
            Object[] row = c.row();
            for (int i = 0; i < key.length; i++) {
                if (row[i] == DebeziumValues.UNAVAILABLE) {
                    if (keys == null) {
                        keys = new ArrayList<>();
                        columns = new java.util.LinkedHashSet<>();
                    }
                    columns.add(table.columns().get(i).name());
                    if (keys.isEmpty() || keys.get(keys.size() - 1) != row) {
                        keys.add(row);
                    }
                }
            }
        }
        if (keys != null) {
            List<Object[]> keyValues = new ArrayList<>(keys.size());
            for (Object[] row : keys) {
                Object[] k = new Object[table.keys().size()];
                for (int i = 0, j = 0; i < key.length; i++) {
                    if (key[i]) {
                        k[j++] = row[i];
                    }
                }
                keyValues.add(k);
            }
            missing.add(new Missing(table, keyValues, columns));
        }
    }

    /** The change in the column layout of {@code to} (a later version of its table); columns it lacks are not written. */
    private static Change adapt(Change c, LogicalTable to) {
        if (c.table() == to) {
            return c;
        }
        int n = to.columns().size();
        Object[] row = new Object[n + 1];
        for (int i = 0; i < n; i++) {
            int from = c.table().columnIndex(to.columns().get(i).name());
            row[i] = from < 0 ? DebeziumValues.UNAVAILABLE : c.row()[from];
        }
        row[n] = c.deleted();
        Object[] old = null;
        if (c.old() != null) {
            old = new Object[n + 1];
            for (int i = 0; i < n; i++) {
                int from = c.table().columnIndex(to.columns().get(i).name());
                old[i] = from < 0 ? DebeziumValues.UNAVAILABLE : c.old()[from];
            }
            old[n] = true;
        }
        return new Change(c.name(), to, row, c.deleted(), c.kind(), c.created(), c.id(), old, c.tx());
    }

    /**
     * The current version of the table for a record of this schema: described again when the schema changed. Debezium
     * makes a new schema object at every relation message, also for the same columns (pgoutput sends a partitioned
     * table's once per partition, and again in each new session): an equal schema needs no new description. When the
     * description fails (the source unreachable), the schema is not noted, so that the batch's retry describes again.
     */
    private LogicalTable current(String name, LogicalTable table, Schema schema) {
        Schema previous = checked.get(name);
        if (previous == schema) {
            return table;
        }
        // a new schema object equal to the last one: a new relation message, sent after any change of the table's
        // catalog entry; a column dropped and added again under the same name and type shows only in the catalog
        if (previous == null ? knowsAll(table, schema) && describedAsNow(table) : previous.equals(schema) && describedAsNow(table)) {
            checked.put(name, schema);
            return table;
        }
        LogicalTable fresh = tracker.refresh(table, schema.fields().stream().map(Field::name).toList());
        tables.put(name, fresh);
        checked.put(name, schema);
        return fresh;
    }

    /**
     * The current version of the table for a record of this key schema. Debezium makes the key from the table's primary
     * key as the catalog has it when it reads a relation message: a primary key changed while streaming
     * ({@code ALTER TABLE ... ADD PRIMARY KEY (code)} after dropping the old one) changes the key schema, not the
     * columns. The table is then described again, and its changes are written by the new key; before, they went on under
     * the old one (a delete, whose old row holds only the new key's columns, was written as a delete of a key of zeros,
     * and the row it deleted stayed live). A key schema that differs without the catalog's key having changed (a table
     * keyed by a unique index Debezium chose otherwise) changes nothing.
     */
    private LogicalTable currentKey(String name, LogicalTable table, Schema keySchema, Schema valueSchema) {
        if (checkedKeys.get(name) == keySchema) {
            return table;
        }
        List<String> streamedKey = keySchema.fields().stream().map(f -> DebeziumNames.fromDebezium(f.name())).toList();
        if (tracker != null && !streamedKey.equals(table.keys())) {
            LogicalTable fresh = tracker.refresh(table, valueSchema.fields().stream().map(Field::name).toList());
            if (!fresh.keys().equals(table.keys()) && !fresh.keys().isEmpty()) {
                LOG.warn("pipeline {}: {}: its key changed at the source from {} to {}; its changes are written by the new"
                        + " key from now on (a PostgreSQL destination table's primary key must then be changed to match,"
                        + " or the table dropped and loaded again with --restart-historical-load)", pipeline, name,
                        table.keys(), fresh.keys());
                tables.put(name, fresh);
                checked.put(name, valueSchema);
                table = fresh;
            }
        }
        checkedKeys.put(name, keySchema);
        return table;
    }

    /** Whether the catalog still describes the table's columns as {@code table} does (always, without a tracker). */
    private boolean describedAsNow(LogicalTable table) {
        return tracker == null || tracker.describedAsNow(table);
    }

    private static boolean knowsAll(LogicalTable table, Schema schema) {
        for (Field f : schema.fields()) {
            if (table.columnIndex(DebeziumNames.fromDebezium(f.name())) < 0) {
                return false;
            }
        }
        return true;
    }

    /** The envelope of a record value, worked out on the first record of its schema. */
    private Envelope envelope(Struct value) {
        Schema schema = value.schema();
        Envelope e = envelopes.get(schema);
        if (e == null) {
            Field op = schema.field("op");
            Field source = schema.field("source");
            if (op == null || source == null || (schema.field("after") == null && schema.field("before") == null)) {
                e = Envelope.NOT_A_CHANGE; // heartbeats, transaction markers, logical decoding messages
            } else {
                Struct s = value.getStruct(source.name());
                e = new Envelope(DebeziumNames.fromDebezium(s.getString("schema")) + "."
                        + DebeziumNames.fromDebezium(s.getString("table")), op, schema.field("before"), schema.field("after"));
            }
            envelopes.put(schema, e);
        }
        return e;
    }

    /**
     * The change of a data record (a truncate: without row), or null for records without an operation (heartbeats,
     * transactions) and changes of tables the pipeline does not stream.
     */
    private Change decode(SourceRecord record) {
        if (!(record.value() instanceof Struct value)) {
            return null;
        }
        Envelope envelope = envelope(value);
        if (envelope.op() == null) {
            return null;
        }
        String op = (String) value.get(envelope.op());
        String name = envelope.table();
        LogicalTable table = tables.get(name);
        if (table == null || op == null || op.equals("m")) {
            return null; // a table the pipeline does not include, or a message
        }
        if (op.equals("t")) {
            return new Change(name, table, null, false, LoadKind.INCREMENTAL, false, txOf(record));
        }
        boolean deleted = op.equals("d");
        Field side = deleted ? envelope.before() : envelope.after();
        Struct data = side == null ? null : (Struct) value.get(side);
        if (data == null) {
            throw new IllegalStateException("change '" + op + "' of " + table.info().table().display()
                    + " carries no row; check the table's REPLICA IDENTITY");
        }
        table = current(name, table, data.schema());
        if (table.writeMode() == WriteMode.UPSERT && record.keySchema() != null) {
            table = currentKey(name, table, record.keySchema(), data.schema());
        }
        Object[] row = values(table, data, deleted);
        Object[] old = null;
        if (op.equals("u") && matches(table)) {
            // the old row (all its columns under REPLICA IDENTITY FULL), removed where the new one is added
            Struct before = envelope.before() == null ? null : (Struct) value.get(envelope.before());
            if (before == null) {
                // logged before the table was REPLICA IDENTITY FULL (it had a key then, say): the row it changed cannot
                // be found; its new row is added, and the table is loaded again (BatchHandler), which replaces its rows
                unmatchable.add(name);
            } else {
                old = values(table, before, true);
                for (int i = 0; i < old.length - 1; i++) {
                    if (row[i] == DebeziumValues.UNAVAILABLE) {
                        row[i] = old[i]; // an unchanged TOASTed value: the old row has it (FULL logs it whole)
                    }
                }
            }
        }
        if (tracker != null && tracker.anyStale() && table.writeMode() == WriteMode.UPSERT) {
            omitStale(name, table, lsnOf(record), row);
        }
        if (deleted && table.writeMode() == WriteMode.UPSERT) {
            // the key and the flag: the destination keeps the row's other values (the old row holds only the key
            // under REPLICA IDENTITY DEFAULT)
            boolean[] key = masks(table).key();
            boolean full = false;
            for (int i = 0; table.info().deferrableKey() && i < key.length; i++) {
                full |= !key[i] && row[i] != null && row[i] != DebeziumValues.UNAVAILABLE;
            }
            if (full) {
                old = row.clone(); // the whole old row (REPLICA IDENTITY FULL): which of two rows of its key it was
            }
            for (int i = 0; i < key.length; i++) {
                if (!key[i]) {
                    row[i] = DebeziumValues.UNAVAILABLE;
                }
            }
        }
        return new Change(name, table, row, deleted, op.equals("r") ? LoadKind.HISTORICAL : LoadKind.INCREMENTAL,
                op.equals("c"), null, old, txOf(record));
    }

    /** The values of the row {@code data} of {@code table}, followed by the {@code deleted} flag. */
    private Object[] values(LogicalTable table, Struct data, boolean deleted) {
        Field[] fields = layout(table, data.schema()).fields();
        List<Column> columns = table.columns();
        Object[] row = new Object[columns.size() + 1];
        for (int i = 0; i < fields.length; i++) {
            Field field = fields[i];
            if (field == null) {
                row[i] = DebeziumValues.UNAVAILABLE; // dropped, or added after this change: the destination keeps its value
            } else {
                Object raw = data.get(field);
                row[i] = DebeziumValues.unavailable(raw) ? DebeziumValues.UNAVAILABLE
                        : DebeziumValues.convert(columns.get(i).type(), field.schema(), raw);
            }
        }
        row[columns.size()] = deleted;
        return row;
    }

    /**
     * Leaves out of {@code row} (of the table {@code name}) the values of the columns that were an earlier column's at
     * {@code lsn} (dropped and added again, or rewritten with a new type, while the pipeline was stopped:
     * {@link SchemaTracker#stale}); the destination keeps the values re-read from the source.
     */
    private void omitStale(String name, LogicalTable table, long lsn, Object[] row) {
        for (SchemaTracker.Stale s : tracker.stale(name)) {
            if (lsn < s.lsn()) {
                for (String column : s.columns()) {
                    int i = table.columnIndex(column);
                    if (i >= 0 && !table.keys().contains(column)) {
                        row[i] = DebeziumValues.UNAVAILABLE;
                    }
                }
            }
        }
    }

    /** Which record field holds each column of {@code table}, for rows of {@code schema}. */
    private Layout layout(LogicalTable table, Schema schema) {
        Layout layout = layouts.get(schema);
        if (layout == null || layout.table() != table) {
            Field[] fields = new Field[table.columns().size()];
            for (int i = 0; i < fields.length; i++) {
                fields[i] = schema.field(DebeziumNames.toDebezium(table.columns().get(i).name()));
            }
            layout = new Layout(table, fields);
            layouts.put(schema, layout);
        }
        return layout;
    }

    /** The key and column-subset masks of a table version. */
    private Masks masks(LogicalTable table) {
        Masks m = masks.get(table);
        if (m == null) {
            int n = table.columns().size();
            boolean[] key = new boolean[n];
            BitSet all = new BitSet(n + 1);
            BitSet keyOnly = new BitSet(n + 1);
            for (int i = 0; i < n; i++) {
                key[i] = table.keys().contains(table.columns().get(i).name());
                all.set(i);
                keyOnly.set(i, key[i]);
            }
            all.set(n);
            keyOnly.set(n);
            m = new Masks(key, all, keyOnly);
            masks.put(table, m);
        }
        return m;
    }

    /**
     * A value identifying the change's key within its table: the key value itself for a one-column key. With
     * {@code canonical}, of values PostgreSQL holds equal (numeric 19.5 and 19.50, ...) the same ({@link KeyValues});
     * without, the values as they came.
     */
    private Object keyOf(Change change, boolean canonical) {
        boolean[] key = masks(change.table()).key();
        List<Column> columns = change.table().columns();
        Object single = null;
        List<Object> values = null;
        for (int i = 0; i < key.length; i++) {
            if (key[i]) {
                Object v = change.row()[i];
                v = v instanceof byte[] b ? java.nio.ByteBuffer.wrap(b) : canonical ? KeyValues.canonical(v, columns.get(i).type()) : v;
                if (values != null) {
                    values.add(v);
                } else if (single != null) {
                    values = new ArrayList<>(List.of(single));
                    values.add(v);
                } else {
                    single = v == null ? NULL_KEY : v;
                }
            }
        }
        return values != null ? values : single;
    }

    /**
     * A delete of the row {@code change} wrote (its key as it came, the other columns left as the destination has them),
     * for a key a later change of the same batch writes another way: a destination comparing the key's text (DuckDB's
     * VARCHAR for unconstrained numeric) holds the two forms as two rows and must see the first one deleted; one
     * comparing as PostgreSQL does deletes the row, then the later change writes it again.
     */
    private Change deleteOf(Change change) {
        boolean[] key = masks(change.table()).key();
        Object[] row = new Object[change.row().length];
        for (int i = 0; i < key.length; i++) {
            row[i] = key[i] ? change.row()[i] : DebeziumValues.UNAVAILABLE;
        }
        row[row.length - 1] = true;
        return new Change(change.name(), change.table(), row, true, change.kind(), false, change.tx());
    }

    /** Stands for a null one-column key value (a key column of a unique index may hold nulls in theory). */
    private static final Object NULL_KEY = new Object();

    /** The later change, with placeholders filled from the earlier one when it was not a delete. */
    private static Change merge(Change earlier, Change later) {
        if (later.deleted() && !earlier.deleted()) {
            // as if written one after the other: the deleted row keeps the values the earlier change gave it
            Object[] row = earlier.row().clone();
            row[row.length - 1] = true;
            return new Change(later.name(), later.table(), row, true, later.kind(), earlier.created() || later.created(),
                    later.tx());
        }
        if (later.deleted() || earlier.deleted()) {
            return later;
        }
        Object[] row = later.row().clone();
        for (int i = 0; i < row.length; i++) {
            if (row[i] == DebeziumValues.UNAVAILABLE) {
                row[i] = earlier.row()[i];
            }
        }
        return new Change(later.name(), later.table(), row, false, later.kind(), earlier.created() || later.created(),
                later.tx());
    }

    /** Splits changes by (kind, column subset) into batches. */
    private List<RowBatch> group(LogicalTable table, Iterable<Change> changes, long position, Instant now) {
        if (matches(table)) {
            return matched(table, changes, position, now);
        }
        Map<GroupKey, List<Object[]>> rows = new LinkedHashMap<>();
        Masks m = masks(table);
        boolean numbered = table.writeMode() == WriteMode.APPEND;
        for (Change c : changes) {
            BitSet kept = kept(table, m, c);
            Object[] row = project(c.row(), kept);
            if (numbered) {
                row = Arrays.copyOf(row, row.length + 1);
                row[row.length - 1] = c.id();
            }
            rows.computeIfAbsent(new GroupKey(c.kind(), kept), k -> new ArrayList<>()).add(row);
        }
        List<RowBatch> out = new ArrayList<>();
        for (Map.Entry<GroupKey, List<Object[]>> e : rows.entrySet()) {
            BitSet kept = e.getKey().kept();
            List<Column> columns = new ArrayList<>();
            for (int i = kept.nextSetBit(0); i >= 0 && i < table.columns().size(); i = kept.nextSetBit(i + 1)) {
                columns.add(table.columns().get(i));
            }
            columns.add(Metadata.DELETED_COLUMN);
            if (numbered) {
                columns.add(Metadata.CHANGE_COLUMN);
            }
            out.add(new RowBatch(pipeline, table.info().table(), null, columns, table.keys(), e.getValue(),
                    e.getKey().kind(), table.writeMode(), position, now, Map.of(), false));
        }
        return out;
    }

    /**
     * The {@link WriteMode#MATCH} batch of a table without key: all columns, each row numbered by its change; an update
     * is its old row (removed) and its new row (added). Nothing nets out, not even a row inserted and deleted in one
     * transaction: a transaction read again after a restart may have had its first changes written (a batch ended inside
     * it), and netting those against its later ones would leave the later ones out (the destination leaves out each
     * change it holds by its number, {@link WriteMode#MATCH}). A value the change lacks (a column added after it, or
     * dropped) is written NULL, and a column some removal lacks is not matched on (with none left, a removal takes any
     * live row).
     */
    private List<RowBatch> matched(LogicalTable table, Iterable<Change> changes, long position, Instant now) {
        int n = table.columns().size();
        boolean[] unmatched = new boolean[n];
        List<Object[]> rows = new ArrayList<>();
        for (Change c : changes) {
            if (c.old() != null) {
                rows.add(numbered(c.old(), c.id(), unmatched));
            }
            rows.add(numbered(c.row(), c.id(), c.deleted() ? unmatched : null));
        }
        if (rows.isEmpty()) {
            return List.of();
        }
        List<Column> columns = new ArrayList<>(table.columns());
        columns.add(Metadata.DELETED_COLUMN);
        columns.add(Metadata.CHANGE_COLUMN);
        List<String> match = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            if (!unmatched[i]) {
                match.add(table.columns().get(i).name());
            }
        }
        return List.of(new RowBatch(pipeline, table.info().table(), null, columns, match, rows, LoadKind.INCREMENTAL,
                WriteMode.MATCH, position, now, Map.of(), false));
    }

    /**
     * The row (values and deleted flag) with its change number; an unavailable value becomes NULL, and when
     * {@code unavailable} is given (a removal) its column is marked there.
     */
    private static Object[] numbered(Object[] row, java.math.BigDecimal id, boolean[] unavailable) {
        Object[] out = Arrays.copyOf(row, row.length + 1);
        for (int i = 0; i < row.length - 1; i++) {
            if (out[i] == DebeziumValues.UNAVAILABLE) {
                out[i] = null;
                if (unavailable != null) {
                    unavailable[i] = true;
                }
            }
        }
        out[row.length] = id;
        return out;
    }

    /** The rows of one output batch: same kind, same columns written. */
    private record GroupKey(LoadKind kind, BitSet kept) {
    }

    /** Which columns (indexes of the row) a change writes; the deleted flag (last index) always. */
    private static BitSet kept(LogicalTable table, Masks m, Change c) {
        Object[] row = c.row();
        if (c.deleted() && table.writeMode() == WriteMode.UPSERT && holdsOnlyTheKey(row, m.key())) {
            return m.keyOnly(); // a plain delete: one shared mask, no copy per row
        }
        int n = table.columns().size();
        BitSet kept = null;
        for (int i = 0; i < n; i++) {
            if (row[i] == DebeziumValues.UNAVAILABLE) {
                if (kept == null) {
                    kept = (BitSet) m.all().clone();
                }
                kept.clear(i);
            }
        }
        return kept == null ? m.all() : kept;
    }

    private static boolean holdsOnlyTheKey(Object[] row, boolean[] key) {
        for (int i = 0; i < key.length; i++) {
            if (!key[i] && row[i] != DebeziumValues.UNAVAILABLE) {
                return false;
            }
        }
        return true;
    }

    private static Object[] project(Object[] row, BitSet kept) {
        if (kept.cardinality() == row.length) {
            return row;
        }
        Object[] out = new Object[kept.cardinality()];
        int j = 0;
        for (int i = kept.nextSetBit(0); i >= 0; i = kept.nextSetBit(i + 1)) {
            out[j++] = row[i];
        }
        return out;
    }
}
