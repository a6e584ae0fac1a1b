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

import java.time.Instant;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns one Debezium batch (in LSN order) into {@link RowBatch}es per table. Records without an
 * operation (heartbeats, transaction markers) are ignored. Several changes of one key collapse to
 * the last; an unchanged-TOAST placeholder takes the key's earlier value from the same batch when
 * there is one. Each key lands in exactly one output batch, so the output batches may be written
 * in any order:
 * <ul>
 * <li>inserts, updates and snapshot reads: every column plus {@code _pgingest_deleted = false};</li>
 * <li>deletes: the key columns plus {@code _pgingest_deleted = true} (the destination keeps the row's
 *     other values: an upsert of a subset of columns updates only those);</li>
 * <li>rows still holding the placeholder: the columns without it, so the destination keeps its value.</li>
 * </ul>
 * Tables without key append every change (deletes as the old row marked deleted).
 * <p>When a table's record schema changes (ALTER TABLE while streaming), the table is described again
 * through the {@link SchemaTracker}; a column a record lacks (dropped, or added after the record was
 * written) is not written, so the destination keeps its value. Not thread-safe.
 */
final class ChangeBatcher {

    private final String pipeline;
    private final Map<String, LogicalTable> tables;
    private final SchemaTracker tracker;
    /** The record schema each table was last checked against (Debezium reuses one schema object per version). */
    private final Map<String, Schema> checked = new HashMap<>();

    ChangeBatcher(String pipeline, Map<String, LogicalTable> tables, SchemaTracker tracker) {
        this.pipeline = pipeline;
        this.tables = new HashMap<>(tables);
        this.tracker = tracker;
    }

    /** The tables streamed now, by {@code schema.table} (a copy). */
    Map<String, LogicalTable> tables() {
        return new LinkedHashMap<>(tables);
    }

    /** Streams a table added while streaming (or a re-created one in place of its old version). */
    void add(LogicalTable table) {
        String name = table.info().table().display();
        tables.put(name, table);
        checked.remove(name);
    }

    /** The tables named by data records that the batcher does not stream. */
    List<String> unknownTables(List<SourceRecord> records) {
        List<String> out = new ArrayList<>();
        for (SourceRecord r : records) {
            if (r.value() instanceof Struct v && v.schema().field("op") != null && v.schema().field("source") != null) {
                Struct source = v.getStruct("source");
                String name = source.getString("schema") + "." + source.getString("table");
                if (!tables.containsKey(name) && !out.contains(name)) {
                    out.add(name);
                }
            }
        }
        return out;
    }

    /** One change after decoding: the row (table columns + deleted flag), its table and kind. */
    private record Change(LogicalTable table, Object[] row, boolean deleted, LoadKind kind) {
    }

    /** The row batches of the records, all with {@code position}. */
    List<RowBatch> batches(List<SourceRecord> records, long position) {
        Map<String, Map<Object, Change>> perTable = new LinkedHashMap<>();
        for (SourceRecord record : records) {
            Change change = decode(record);
            if (change == null) {
                continue;
            }
            Map<Object, Change> changes = perTable.computeIfAbsent(change.table().info().table().display(),
                    t -> new LinkedHashMap<>());
            Object key = change.table().keys().isEmpty() ? new Object() : keyOf(change);
            Change previous = changes.remove(key);
            changes.put(key, previous == null ? change : merge(adapt(previous, change.table()), change));
        }
        Instant now = Instant.now();
        List<RowBatch> out = new ArrayList<>();
        perTable.forEach((name, changes) -> {
            LogicalTable table = tables.get(name);
            out.addAll(group(table, changes.values().stream().map(c -> adapt(c, table)).toList(), position, now));
        });
        return out;
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
        return new Change(to, row, c.deleted(), c.kind());
    }

    /** The current version of the table for a record of this schema: described again when the schema changed. */
    private LogicalTable current(String name, LogicalTable table, Schema schema) {
        Schema previous = checked.get(name);
        if (previous == schema) {
            return table;
        }
        checked.put(name, schema);
        if (previous == null && knowsAll(table, schema)) {
            return table;
        }
        LogicalTable fresh = tracker.refresh(table);
        tables.put(name, fresh);
        return fresh;
    }

    private static boolean knowsAll(LogicalTable table, Schema schema) {
        for (Field f : schema.fields()) {
            if (table.columnIndex(f.name()) < 0) {
                return false;
            }
        }
        return true;
    }

    /** The change of a data record, or null for records without an operation (heartbeats, transactions). */
    private Change decode(SourceRecord record) {
        if (!(record.value() instanceof Struct value) || value.schema().field("op") == null) {
            return null;
        }
        String op = value.getString("op");
        Struct source = value.getStruct("source");
        String name = source.getString("schema") + "." + source.getString("table");
        LogicalTable table = tables.get(name);
        if (table == null || op == null || op.equals("t") || op.equals("m")) {
            return null; // a table the pipeline does not include, a truncate or a message: nothing to write
        }
        boolean deleted = op.equals("d");
        Struct data = value.getStruct(deleted ? "before" : "after");
        if (data == null) {
            throw new IllegalStateException("change '" + op + "' of " + table.info().table().display()
                    + " carries no row; check the table's REPLICA IDENTITY");
        }
        table = current(name, table, data.schema());
        List<Column> columns = table.columns();
        Object[] row = new Object[columns.size() + 1];
        for (int i = 0; i < columns.size(); i++) {
            Field field = data.schema().field(columns.get(i).name());
            if (field == null) {
                row[i] = DebeziumValues.UNAVAILABLE; // dropped, or added after this change: the destination keeps its value
            } else {
                Object raw = data.get(field);
                row[i] = DebeziumValues.unavailable(raw) ? DebeziumValues.UNAVAILABLE
                        : DebeziumValues.convert(columns.get(i).type(), field.schema(), raw);
            }
        }
        row[columns.size()] = deleted;
        return new Change(table, row, deleted, op.equals("r") ? LoadKind.HISTORICAL : LoadKind.INCREMENTAL);
    }

    private static Object keyOf(Change change) {
        List<Object> key = new ArrayList<>();
        for (String k : change.table().keys()) {
            Object v = change.row()[change.table().columnIndex(k)];
            key.add(v instanceof byte[] b ? java.nio.ByteBuffer.wrap(b) : v);
        }
        return key;
    }

    /** The later change, with placeholders filled from the earlier one when it was not a delete. */
    private static Change merge(Change earlier, Change later) {
        if (later.deleted() || earlier.deleted()) {
            return later;
        }
        Object[] row = later.row().clone();
        for (int i = 0; i < row.length; i++) {
            if (row[i] == DebeziumValues.UNAVAILABLE) {
                row[i] = earlier.row()[i];
            }
        }
        return new Change(later.table(), row, false, later.kind());
    }

    /** Splits changes by (kind, column subset) into batches. */
    private List<RowBatch> group(LogicalTable table, Iterable<Change> changes, long position, Instant now) {
        Map<List<Object>, List<Object[]>> rows = new LinkedHashMap<>();
        Map<List<Object>, BitSet> subsets = new LinkedHashMap<>();
        for (Change c : changes) {
            BitSet kept = kept(table, c);
            List<Object> groupKey = List.of(c.kind(), kept);
            subsets.putIfAbsent(groupKey, kept);
            rows.computeIfAbsent(groupKey, k -> new ArrayList<>()).add(project(c.row(), kept));
        }
        List<RowBatch> out = new ArrayList<>();
        for (Map.Entry<List<Object>, List<Object[]>> e : rows.entrySet()) {
            BitSet kept = subsets.get(e.getKey());
            List<Column> columns = new ArrayList<>();
            for (int i = kept.nextSetBit(0); i >= 0 && i < table.columns().size(); i = kept.nextSetBit(i + 1)) {
                columns.add(table.columns().get(i));
            }
            columns.add(Metadata.DELETED_COLUMN);
            out.add(new RowBatch(pipeline, table.info().table(), null, columns, table.keys(), e.getValue(),
                    (LoadKind) e.getKey().get(0), table.writeMode(), position, now, Map.of(), false));
        }
        return out;
    }

    /** Which columns (indexes of the row) a change writes; the deleted flag (last index) always. */
    private static BitSet kept(LogicalTable table, Change c) {
        int n = table.columns().size();
        BitSet kept = new BitSet(n + 1);
        for (int i = 0; i < n; i++) {
            boolean key = table.keys().contains(table.columns().get(i).name());
            boolean write = c.deleted() && table.writeMode() == WriteMode.UPSERT ? key
                    : c.row()[i] != DebeziumValues.UNAVAILABLE;
            kept.set(i, write);
        }
        kept.set(n);
        return kept;
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
