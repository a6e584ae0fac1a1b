package io.pgingest.source.logical;

import io.pgingest.catalog.TableInfo;
import io.pgingest.event.Column;
import io.pgingest.event.LoadKind;
import io.pgingest.event.Metadata;
import io.pgingest.event.RowBatch;
import io.pgingest.event.SourceTable;
import io.pgingest.event.WriteMode;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

/**
 * {@link ChangeBatcher} over records shaped as Debezium's PostgreSQL connector makes them (an envelope per
 * table with {@code before}, {@code after}, {@code source}, {@code op}; heartbeats and logical decoding
 * messages with schemas of their own), one schema object per table, reused by every record as Debezium does.
 */
class ChangeBatcherTest {

    private static final String UNAVAILABLE = DebeziumValues.UNAVAILABLE;

    /** public.items (id PRIMARY KEY, name, doc) and public.log (no key: appended). */
    private final LogicalTable items = table("items", List.of("id"));
    private final LogicalTable log = table("log", List.of());
    private final Schema itemsRow = rowSchema("items");
    private final Schema logRow = rowSchema("log");
    private final Schema source = SchemaBuilder.struct().name("io.debezium.connector.postgresql.Source")
            .field("schema", Schema.STRING_SCHEMA).field("table", Schema.STRING_SCHEMA).build();
    private final Schema itemsEnvelope = envelope(itemsRow);
    private final Schema logEnvelope = envelope(logRow);
    private final ChangeBatcher batcher = new ChangeBatcher("p", Map.of("public.items", items, "public.log", log), null);

    private static LogicalTable table(String name, List<String> key) {
        List<Column> columns = List.of(new Column("id", "integer", null, -1, -1, false),
                new Column("name", "text", null, -1, -1, true), new Column("doc", "text", null, -1, -1, true));
        return LogicalTable.of(new TableInfo(new SourceTable("db", "public", name), 1, false, false, columns, key,
                !key.isEmpty(), 0));
    }

    private static Schema rowSchema(String table) {
        return SchemaBuilder.struct().name("p.public." + table + ".Value").optional()
                .field("id", Schema.INT32_SCHEMA).field("name", Schema.OPTIONAL_STRING_SCHEMA)
                .field("doc", Schema.OPTIONAL_STRING_SCHEMA).build();
    }

    private Schema envelope(Schema row) {
        return SchemaBuilder.struct().name(row.name().replace(".Value", ".Envelope"))
                .field("before", row).field("after", row).field("source", source)
                .field("op", Schema.STRING_SCHEMA).field("ts_ms", Schema.OPTIONAL_INT64_SCHEMA).build();
    }

    private SourceRecord change(String op, String table, Integer id, String name, String doc) {
        return change(op, table, id, name, doc, 1L);
    }

    private SourceRecord change(String op, String table, Integer id, String name, String doc, long lsn) {
        boolean isItems = table.equals("items");
        Schema rowSchema = isItems ? itemsRow : logRow;
        Struct row = new Struct(rowSchema).put("id", id).put("name", name).put("doc", doc);
        Struct value = new Struct(isItems ? itemsEnvelope : logEnvelope)
                .put(op.equals("d") ? "before" : "after", row)
                .put("source", new Struct(source).put("schema", "public").put("table", table))
                .put("op", op);
        return new SourceRecord(Map.of("server", "p"), Map.of("lsn", lsn), "p.public." + table, null, value.schema(), value);
    }

    /** A TRUNCATE as Debezium sends it: the table's envelope with neither row. */
    private SourceRecord truncate(String table) {
        Struct value = new Struct(table.equals("items") ? itemsEnvelope : logEnvelope)
                .put("source", new Struct(source).put("schema", "public").put("table", table)).put("op", "t");
        return new SourceRecord(Map.of("server", "p"), Map.of("lsn", 1L), "p.public." + table, null, value.schema(), value);
    }

    private static SourceRecord heartbeat() {
        Schema s = SchemaBuilder.struct().name("io.debezium.connector.common.Heartbeat").field("ts_ms", Schema.INT64_SCHEMA).build();
        return new SourceRecord(Map.of("server", "p"), Map.of("lsn", 1L), "__debezium-heartbeat.p", null, s,
                new Struct(s).put("ts_ms", 5L));
    }

    private SourceRecord message() {
        Schema m = SchemaBuilder.struct().field("prefix", Schema.STRING_SCHEMA).field("content", Schema.BYTES_SCHEMA).build();
        Schema s = SchemaBuilder.struct().name("io.debezium.connector.postgresql.MessageValue")
                .field("op", Schema.STRING_SCHEMA).field("source", source).field("message", m).build();
        Struct value = new Struct(s).put("op", "m").put("source", new Struct(source).put("schema", "").put("table", ""))
                .put("message", new Struct(m).put("prefix", "some.prefix").put("content", new byte[] {1}));
        return new SourceRecord(Map.of("server", "p"), Map.of("lsn", 1L), "p.message", null, s, value);
    }

    private static List<String> names(RowBatch b) {
        return b.columns().stream().map(Column::name).toList();
    }

    private static List<List<Object>> rows(RowBatch b) {
        List<List<Object>> out = new ArrayList<>();
        b.rows().forEach(r -> out.add(Arrays.asList(r)));
        return out;
    }

    @Test
    void severalChangesOfAKeyCollapseToTheLastOneAndKeysKeepTheirOrderOfLastChange() {
        List<RowBatch> batches = batcher.batches(List.of(change("c", "items", 1, "a", "x"), change("c", "items", 2, "b", "y"),
                change("u", "items", 1, "a2", "x2")), 42);
        assertThat(batches).singleElement().satisfies(b -> {
            assertThat(names(b)).containsExactly("id", "name", "doc", Metadata.DELETED);
            assertThat(rows(b)).containsExactly(List.of(2, "b", "y", false), List.of(1, "a2", "x2", false));
            assertThat(b.position()).isEqualTo(42);
            assertThat(b.kind()).isEqualTo(LoadKind.INCREMENTAL);
            assertThat(b.writeMode()).isEqualTo(WriteMode.UPSERT);
        });
    }

    @Test
    void anUnchangedToastPlaceholderTakesTheKeysEarlierValueFromTheSameBatch() {
        List<RowBatch> batches = batcher.batches(List.of(change("c", "items", 1, "a", "big"),
                change("u", "items", 1, "b", UNAVAILABLE)), 1);
        assertThat(batches).singleElement().satisfies(b -> assertThat(rows(b)).containsExactly(List.of(1, "b", "big", false)));
    }

    @Test
    void aPlaceholderWithoutAnEarlierValueIsNotWrittenSoTheDestinationKeepsItsValue() {
        List<RowBatch> batches = batcher.batches(List.of(change("u", "items", 1, "b", UNAVAILABLE),
                change("u", "items", 2, "c", "new")), 1);
        assertThat(batches).as("one batch per column subset").hasSize(2);
        assertThat(names(batches.get(0))).containsExactly("id", "name", Metadata.DELETED);
        assertThat(rows(batches.get(0))).containsExactly(List.of(1, "b", false));
        assertThat(names(batches.get(1))).containsExactly("id", "name", "doc", Metadata.DELETED);
        assertThat(rows(batches.get(1))).containsExactly(List.of(2, "c", "new", false));
    }

    @Test
    void aDeleteWritesTheKeyAndTheDeletedFlagOnly() {
        List<RowBatch> batches = batcher.batches(List.of(change("d", "items", 1, null, null), change("d", "items", 2, "old", "row")), 1);
        assertThat(batches).as("also when the old row carries values (REPLICA IDENTITY FULL)").singleElement().satisfies(b -> {
            assertThat(names(b)).containsExactly("id", Metadata.DELETED);
            assertThat(rows(b)).containsExactly(List.of(1, true), List.of(2, true));
        });
    }

    /**
     * A delete after other changes of its key in the batch wins and keeps the values they left, as when each change is
     * written on its own: the result does not depend on where the batches end (a row inserted and deleted in one batch
     * is not left with only its key).
     */
    @Test
    void aDeleteAfterEarlierChangesOfItsKeyWinsAndKeepsTheValuesTheyLeft() {
        List<RowBatch> batches = batcher.batches(List.of(change("c", "items", 1, "a", "x"), change("u", "items", 1, "b", UNAVAILABLE),
                change("d", "items", 1, null, null), change("u", "items", 2, "c", UNAVAILABLE), change("d", "items", 2, null, null)), 1);
        assertThat(batches).hasSize(2);
        assertThat(names(batches.get(0))).containsExactly("id", "name", "doc", Metadata.DELETED);
        assertThat(rows(batches.get(0))).containsExactly(List.of(1, "b", "x", true));
        assertThat(names(batches.get(1))).as("a placeholder still keeps the destination's value")
                .containsExactly("id", "name", Metadata.DELETED);
        assertThat(rows(batches.get(1))).containsExactly(List.of(2, "c", true));

        List<RowBatch> reinserted = batcher.batches(List.of(change("d", "items", 3, null, null), change("c", "items", 3, "new", "n")), 1);
        assertThat(reinserted).as("an insert after a delete is the row again").singleElement()
                .satisfies(b -> assertThat(rows(b)).containsExactly(List.of(3, "new", "n", false)));
    }

    @Test
    void aTableWithoutKeyAppendsEveryChangeInOrderDeletesAsTheOldRowMarkedDeleted() {
        List<RowBatch> batches = batcher.batches(List.of(change("c", "log", 1, "a", "x"), change("c", "log", 1, "a", "x"),
                change("d", "log", 1, "a", "x")), 1);
        assertThat(batches).singleElement().satisfies(b -> {
            assertThat(b.writeMode()).isEqualTo(WriteMode.APPEND);
            assertThat(names(b)).containsExactly("id", "name", "doc", Metadata.DELETED, Metadata.CHANGE);
            assertThat(rows(b)).containsExactly(List.of(1, "a", "x", false, Metadata.change(1, 0)),
                    List.of(1, "a", "x", false, Metadata.change(1, 1)), List.of(1, "a", "x", true, Metadata.change(1, 2)));
        });
    }

    /**
     * keylessTables: match: one batch of all columns, each row numbered by its change; an update is its old row (removed,
     * deleted true) and its new row, whose unchanged TOASTed value comes from the old row. Nothing nets out (a row
     * inserted and deleted in one transaction is two rows): a transaction read again may have had its first changes
     * written already. A removal lacking a value leaves its column out of the columns matched on. The batch counts its
     * changes, not its rows, for billing.
     */
    @Test
    void aMatchedTableWithoutKeyWritesAnUpdateAsItsOldRowRemovedAndItsNewRowAdded() {
        ChangeBatcher matching = new ChangeBatcher("p", Map.of("public.log", log), null, true);
        Struct before = new Struct(logRow).put("id", 1).put("name", "a").put("doc", "big");
        Struct after = new Struct(logRow).put("id", 1).put("name", "b").put("doc", DebeziumValues.UNAVAILABLE);
        Struct value = new Struct(logEnvelope).put("before", before).put("after", after)
                .put("source", new Struct(source).put("schema", "public").put("table", "log")).put("op", "u");
        SourceRecord update = new SourceRecord(Map.of("server", "p"), Map.of("lsn", 7L, "txId", 50L), "p.public.log", null,
                value.schema(), value);
        List<RowBatch> batches = matching.batches(List.of(withTx(change("c", "log", 2, "x", null, 5), 50),
                update, withTx(change("d", "log", 2, "x", null, 9), 50), withTx(change("c", "log", 3, "y", null, 11), 51),
                withTx(change("d", "log", 3, "y", null, 12), 52)), 20);
        assertThat(batches).singleElement().satisfies(b -> {
            assertThat(b.writeMode()).isEqualTo(WriteMode.MATCH);
            assertThat(names(b)).containsExactly("id", "name", "doc", Metadata.DELETED, Metadata.CHANGE);
            assertThat(b.keyColumns()).as("matched on every column").containsExactly("id", "name", "doc");
            assertThat(rows(b)).as("every change in order, the row inserted and deleted in one transaction too")
                    .containsExactly(Arrays.asList(2, "x", null, false, Metadata.change(5, 0)),
                    List.of(1, "a", "big", true, Metadata.change(7, 0)), List.of(1, "b", "big", false, Metadata.change(7, 0)),
                    Arrays.asList(2, "x", null, true, Metadata.change(9, 0)), Arrays.asList(3, "y", null, false, Metadata.change(11, 0)),
                    Arrays.asList(3, "y", null, true, Metadata.change(12, 0)));
            assertThat(b.events()).as("five changes in six rows").isEqualTo(5);
        });

        Struct oldLacking = new Struct(logRow).put("id", 3).put("name", "c").put("doc", DebeziumValues.UNAVAILABLE);
        Struct deleted = new Struct(logEnvelope).put("before", oldLacking)
                .put("source", new Struct(source).put("schema", "public").put("table", "log")).put("op", "d");
        assertThat(matching.batches(List.of(new SourceRecord(Map.of("server", "p"), Map.of("lsn", 13L), "p.public.log", null,
                deleted.schema(), deleted)), 14)).singleElement().satisfies(b -> {
                    assertThat(b.keyColumns()).as("a value the removal lacks is not matched on").containsExactly("id", "name");
                    assertThat(rows(b)).containsExactly(Arrays.asList(3, "c", null, true, Metadata.change(13, 0)));
                });
    }

    /**
     * Appended changes are numbered by LSN and their place among the changes of that LSN (a COPY page's rows share one
     * WAL record), across batches; changes of keyed tables count too but carry no number; a new stream starts counting
     * again, and converting a batch twice (a retry) numbers it the same.
     */
    @Test
    void appendedChangesAreNumberedByTheirLsnAndTheirPlaceAmongTheChangesOfThatLsn() {
        List<SourceRecord> first = List.of(change("c", "log", 1, "a", null, 100), change("c", "log", 2, "b", null, 100));
        List<SourceRecord> second = List.of(change("c", "log", 3, "c", null, 100), change("u", "items", 1, "i", null, 140),
                change("c", "log", 4, "d", null, 150));
        batcher.batches(first, 100);
        assertThat(column(batcher.batches(second, 150), "log")).as("numbers go on across batches")
                .containsExactly(Metadata.change(100, 2), Metadata.change(150, 0));
        assertThat(batcher.batches(second, 150)).as("a keyed table's rows carry no number")
                .filteredOn(b -> b.source().table().equals("items")).singleElement()
                .satisfies(b -> assertThat(names(b)).doesNotContain(Metadata.CHANGE));

        batcher.streamRestarted();
        assertThat(column(batcher.batches(first, 100), "log")).as("a new stream, read again from a transaction's start")
                .containsExactly(Metadata.change(100, 0), Metadata.change(100, 1));
        assertThat(column(batcher.batches(second, 150), "log")).containsExactly(Metadata.change(100, 2), Metadata.change(150, 0));
    }

    /**
     * A change of a table without key whose transaction the table's last load saw is in the loaded rows already: not
     * appended; it still counts for the numbers of the changes after it.
     */
    @Test
    void changesOfTransactionsTheLoadSawAreNotAppended() {
        batcher.loaded("public.log", LoadSnapshot.parse("100:110:105"));
        SourceRecord seen = withTx(change("c", "log", 1, "seen", null, 300), 101);
        SourceRecord running = withTx(change("c", "log", 2, "running", null, 300), 105);
        SourceRecord later = withTx(change("c", "log", 3, "later", null, 310), 111);
        List<RowBatch> batches = batcher.batches(List.of(seen, running, later), 310);
        assertThat(batches).singleElement().satisfies(b -> assertThat(rows(b)).extracting(r -> r.get(1))
                .containsExactly("running", "later"));
        assertThat(column(batches, "log")).containsExactly(Metadata.change(300, 1), Metadata.change(310, 0));
        batcher.loaded("public.log", null);
        assertThat(column(batcher.batches(List.of(seen), 310), "log")).as("without a snapshot every change")
                .hasSize(1);
    }

    private static SourceRecord withTx(SourceRecord r, long txId) {
        return new SourceRecord(r.sourcePartition(), Map.of("lsn", r.sourceOffset().get("lsn"), "txId", txId), r.topic(), null,
                r.valueSchema(), r.value());
    }

    /** The {@link Metadata#CHANGE} values of the rows of {@code table} in {@code batches}. */
    private static List<Object> column(List<RowBatch> batches, String table) {
        List<Object> out = new ArrayList<>();
        for (RowBatch b : batches) {
            if (b.source().table().equals(table)) {
                int index = b.columnIndex(Metadata.CHANGE);
                b.rows().forEach(r -> out.add(r[index]));
            }
        }
        return out;
    }

    @Test
    void snapshotReadsAreHistoricalAndGoToTheirOwnBatch() {
        List<RowBatch> batches = batcher.batches(List.of(change("r", "items", 1, "a", "x"), change("u", "items", 2, "b", "y")), 1);
        assertThat(batches).extracting(RowBatch::kind).containsExactly(LoadKind.HISTORICAL, LoadKind.INCREMENTAL);
    }

    @Test
    void eachTableGetsItsOwnBatchesAndHeartbeatsAndMessagesAreNotRowChanges() {
        List<SourceRecord> records = List.of(heartbeat(), change("c", "items", 1, "a", "x"), message(),
                change("c", "log", 7, "l", "z"), heartbeat());
        List<RowBatch> batches = batcher.batches(records, 1);
        assertThat(batches).extracting(b -> b.source().table()).containsExactly("items", "log");
        assertThat(batcher.unknownTables(records)).as("a message names no table").isEmpty();
    }

    @Test
    void recordsOfATableThePipelineDoesNotStreamAreReportedAndNotWritten() {
        Schema otherRow = rowSchema("other");
        Schema otherEnvelope = envelope(otherRow);
        Struct value = new Struct(otherEnvelope).put("after", new Struct(otherRow).put("id", 1))
                .put("source", new Struct(source).put("schema", "public").put("table", "other")).put("op", "c");
        SourceRecord other = new SourceRecord(Map.of(), Map.of(), "t", null, otherEnvelope, value);
        assertThat(batcher.unknownTables(List.of(other, other))).containsExactly("public.other");
        assertThat(batcher.batches(List.of(other), 1)).isEmpty();
    }

    @Test
    void aTruncateDropsTheTablesEarlierChangesAndComesBeforeItsLaterOnes() {
        List<RowBatch> batches = batcher.batches(List.of(change("c", "items", 1, "a", "x"), change("c", "log", 7, "l", "d"),
                truncate("items"), change("c", "items", 2, "b", "y"), truncate("items"), change("c", "items", 3, "c", "z")), 42);
        assertThat(batches).extracting(RowBatch::writeMode, b -> b.source().table(), ChangeBatcherTest::rows)
                .as("one truncate of items first; of items only the change after the last truncate; log untouched")
                .containsExactly(tuple(WriteMode.TRUNCATE, "items", List.of()),
                        tuple(WriteMode.APPEND, "log", List.of(List.of(7, "l", "d", false, Metadata.change(1, 1)))),
                        tuple(WriteMode.UPSERT, "items", List.of(List.of(3, "c", "z", false))));
        assertThat(batches.get(0).position()).isEqualTo(42);
        assertThat(names(batches.get(0))).containsExactly("id", "name", "doc", Metadata.DELETED);
    }

    @Test
    void anEqualRecordSchemaInANewObjectNeedsNoNewDescriptionOfTheTable() {
        // Debezium makes a new schema object at every relation message (pgoutput sends a partitioned table's once per
        // partition): with the same columns the table is not described again (this batcher has no tracker to do it)
        assertThat(batcher.batches(List.of(change("c", "items", 1, "a", "x")), 1)).hasSize(1);
        Schema sameRow = rowSchema("items");
        Schema sameEnvelope = envelope(sameRow);
        Struct value = new Struct(sameEnvelope).put("after", new Struct(sameRow).put("id", 2).put("name", "b").put("doc", "y"))
                .put("source", new Struct(source).put("schema", "public").put("table", "items")).put("op", "c");
        List<RowBatch> batches = batcher.batches(List.of(new SourceRecord(Map.of("server", "p"), Map.of("lsn", 2L),
                "p.public.items", null, sameEnvelope, value)), 2);
        assertThat(batches).singleElement().satisfies(b -> assertThat(rows(b)).containsExactly(List.of(2, "b", "y", false)));
    }

    /**
     * A key rewritten in a form PostgreSQL holds equal (an update of {@code 19.5} to {@code 19.50}, which Debezium sends
     * as a delete of the old key and an insert of the new one) is one key of the batch: the insert wins, and the old
     * form's delete goes in a batch of its own before it (a destination comparing the text holds two rows). Before, both
     * went into batches of the same position, and the destination could apply the delete last.
     */
    @Test
    void aKeyWrittenAnotherWayIsOneKeyAndItsOldFormIsDeletedFirst() {
        List<Column> columns = List.of(new Column("k", "numeric", null, -1, -1, false),
                new Column("v", "text", null, -1, -1, true));
        LogicalTable prices = LogicalTable.of(new TableInfo(new SourceTable("db", "public", "prices"), 2, false, false,
                columns, List.of("k"), true, 0));
        Schema row = SchemaBuilder.struct().name("p.public.prices.Value").optional()
                .field("k", Schema.STRING_SCHEMA).field("v", Schema.OPTIONAL_STRING_SCHEMA).build();
        Schema env = envelope(row);
        ChangeBatcher b = new ChangeBatcher("p", Map.of("public.prices", prices), null);
        java.util.function.BiFunction<String, String[], SourceRecord> rec = (op, kv) -> {
            Struct r = new Struct(row).put("k", kv[0]).put("v", kv[1]);
            Struct value = new Struct(env).put(op.equals("d") ? "before" : "after", r)
                    .put("source", new Struct(source).put("schema", "public").put("table", "prices")).put("op", op);
            return new SourceRecord(Map.of("server", "p"), Map.of("lsn", 1L), "p.public.prices", null, env, value);
        };
        List<RowBatch> batches = b.batches(List.of(rec.apply("c", new String[] {"100", "a"}),
                rec.apply("d", new String[] {"19.5", null}), rec.apply("c", new String[] {"19.50", "new"})), 9);
        assertThat(batches).extracting(ChangeBatcherTest::rows).containsExactly(
                List.of(List.of("19.5", true)),
                List.of(List.of("100", "a", false), List.of("19.50", "new", false)));
        assertThat(names(batches.get(0))).containsExactly("k", Metadata.DELETED);
        assertThat(batches).allSatisfy(x -> assertThat(x.position()).isEqualTo(9));

        assertThat(b.batches(List.of(rec.apply("d", new String[] {"19.5", null}), rec.apply("c", new String[] {"19.5", "same"})), 10))
                .as("the same form: no extra delete").extracting(ChangeBatcherTest::rows)
                .containsExactly(List.of(List.of("19.5", "same", false)));
    }

    /**
     * Changes of transactions a keyed table's load saw are in the loaded rows already: they are written below the
     * load's position, so that they change only rows the load did not write (those of a table dropped and re-created
     * while the pipeline was stopped); later changes of the same keys are written as usual.
     */
    @Test
    void changesTheLoadSawAreWrittenBelowTheLoadedRows() {
        batcher.loaded("public.items", LoadSnapshot.parse("100:105:").at(5_000));
        java.util.function.BiFunction<SourceRecord, Long, SourceRecord> inTx = (r, xid) -> new SourceRecord(r.sourcePartition(),
                Map.of("lsn", 1L, "txId", xid), r.topic(), null, r.valueSchema(), r.value());
        List<RowBatch> batches = batcher.batches(List.of(inTx.apply(change("u", "items", 1, "old", "x"), 99L),
                inTx.apply(change("d", "items", 2, null, null), 104L), inTx.apply(change("u", "items", 3, "seen", "y"), 101L),
                inTx.apply(change("u", "items", 3, "later", "z"), 105L)), 9_000);
        assertThat(batches).extracting(RowBatch::position, ChangeBatcherTest::rows).containsExactly(
                tuple(4_999L, List.of(List.of(1, "old", "x", false))),
                tuple(4_999L, List.of(List.of(2, true))),
                tuple(9_000L, List.of(List.of(3, "later", "z", false))));
        assertThat(batcher.batches(List.of(inTx.apply(change("u", "items", 5, "e", "f"), 99L)), 9_500))
                .as("forgotten after a transaction that began after the snapshot (none it sees comes later)")
                .extracting(RowBatch::position).containsExactly(9_500L);
        batcher.streamRestarted();
        assertThat(batcher.batches(List.of(inTx.apply(change("u", "items", 6, "g", "h"), 99L)), 9_600))
                .as("a stream started again (from the slot's confirmed position) gets the snapshot back")
                .extracting(RowBatch::position).containsExactly(4_999L);

        ChangeBatcher keyless = new ChangeBatcher("p", Map.of("public.log", log), null);
        keyless.loaded("public.log", LoadSnapshot.parse("100:105:").at(5_000));
        assertThat(keyless.batches(List.of(inTx.apply(change("c", "log", 1, "a", "b"), 99L)), 9_000))
                .as("a table without key: not appended again").isEmpty();
    }
}
