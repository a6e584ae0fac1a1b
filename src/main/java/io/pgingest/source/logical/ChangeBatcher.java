package io.pgingest.source.logical;

import io.pgingest.event.Column;
import io.pgingest.event.LoadKind;
import io.pgingest.event.Metadata;
import io.pgingest.event.RowBatch;
import io.pgingest.event.WriteMode;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;

import java.time.Instant;
import java.util.ArrayList;
import java.util.BitSet;
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
 * Tables without key append every change (deletes as the old row marked deleted). Not thread-safe.
 */
final class ChangeBatcher {

    private final String pipeline;
    private final Map<String, LogicalTable> tables;

    ChangeBatcher(String pipeline, Map<String, LogicalTable> tables) {
        this.pipeline = pipeline;
        this.tables = tables;
    }

    /** One change after decoding: the row (table columns + deleted flag), its table and kind. */
    private record Change(LogicalTable table, Object[] row, boolean deleted, LoadKind kind) {
    }

    /** The row batches of the records, all with {@code position}. */
    List<RowBatch> batches(List<SourceRecord> records, long position) {
        Map<LogicalTable, Map<Object, Change>> perTable = new LinkedHashMap<>();
        for (SourceRecord record : records) {
            Change change = decode(record);
            if (change == null) {
                continue;
            }
            Map<Object, Change> changes = perTable.computeIfAbsent(change.table(), t -> new LinkedHashMap<>());
            Object key = change.table().keys().isEmpty() ? new Object() : keyOf(change);
            Change previous = changes.remove(key);
            changes.put(key, previous == null ? change : merge(previous, change));
        }
        Instant now = Instant.now();
        List<RowBatch> out = new ArrayList<>();
        perTable.forEach((table, changes) -> out.addAll(group(table, changes.values(), position, now)));
        return out;
    }

    /** The change of a data record, or null for records without an operation (heartbeats, transactions). */
    private Change decode(SourceRecord record) {
        if (!(record.value() instanceof Struct value) || value.schema().field("op") == null) {
            return null;
        }
        String op = value.getString("op");
        Struct source = value.getStruct("source");
        LogicalTable table = tables.get(source.getString("schema") + "." + source.getString("table"));
        if (table == null || op == null || op.equals("t") || op.equals("m")) {
            return null; // a table the pipeline does not include, a truncate or a message: nothing to write
        }
        boolean deleted = op.equals("d");
        Struct data = value.getStruct(deleted ? "before" : "after");
        if (data == null) {
            throw new IllegalStateException("change '" + op + "' of " + table.info().table().display()
                    + " carries no row; check the table's REPLICA IDENTITY");
        }
        List<Column> columns = table.columns();
        Object[] row = new Object[columns.size() + 1];
        for (int i = 0; i < columns.size(); i++) {
            Field field = data.schema().field(columns.get(i).name());
            if (field != null) {
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
