package io.pgingest.destination.postgres;

import static io.pgingest.destination.TestBatches.column;
import static io.pgingest.destination.TestBatches.decimal;
import static io.pgingest.destination.TestBatches.row;
import static io.pgingest.destination.TestBatches.historical;
import static io.pgingest.destination.TestBatches.upsert;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgingest.destination.DestinationWriter;
import io.pgingest.destination.DestinationWriterContract;
import io.pgingest.destination.TestBatches;
import io.pgingest.event.Column;
import io.pgingest.event.CopyRows;
import io.pgingest.event.LoadKind;
import io.pgingest.event.RowBatch;
import io.pgingest.event.SourceTable;
import io.pgingest.event.WriteMode;
import io.pgingest.mapping.BinaryReaders;
import io.pgingest.event.LogicalType;
import io.pgingest.testsupport.ResultRows;
import io.pgingest.testsupport.TestDatabase;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class PostgresWriterIT extends DestinationWriterContract {

    static TestDatabase database;
    static PostgresWriter writer;

    @BeforeAll
    static void open() throws Exception {
        database = TestDatabase.create("dest_pg");
        writer = new PostgresWriter(database.url(), TestDatabase.USER, TestDatabase.PASSWORD, "dest");
    }

    @AfterAll
    static void close() throws Exception {
        if (writer != null) {
            writer.close();
        }
        database.close();
    }

    @Override
    protected DestinationWriter writer() {
        return writer;
    }

    @Override
    protected List<List<Object>> query(String sql) throws Exception {
        try (Connection c = database.connect(); Statement s = c.createStatement()) {
            s.execute("SET search_path = dest");
            try (ResultSet rs = s.executeQuery(sql)) {
                return ResultRows.of(rs);
            }
        }
    }

    @Override
    protected String typeOf(String table, String column) throws Exception {
        List<List<Object>> rows = query("SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'dest."
                + table + "'::regclass AND attname = '" + column + "' AND NOT attisdropped");
        return rows.isEmpty() ? null : rows.get(0).get(0).toString();
    }

    /**
     * A write that waits for a lock on its table (a reader's {@code LOCK TABLE} here) fails after
     * {@link PostgresWriter#LOCK_TIMEOUT}, so that the pipeline retries it with a WARN and stops visibly after
     * {@code retrySeconds}; before the twentieth session it waited without a word for as long as the lock was held.
     */
    @Test
    @org.junit.jupiter.api.Timeout(120) // without the lock timeout the write waits for ever
    void aWriteBlockedByALockFailsAfterTheLockTimeout() throws Exception {
        List<Column> columns = List.of(column("lid", LogicalType.INT32));
        writer.write(upsert("locked", columns, List.of("lid"), 100, row(1)));
        try (Connection holder = database.connect(); Statement s = holder.createStatement()) {
            holder.setAutoCommit(false);
            s.execute("LOCK TABLE dest.locked IN ACCESS EXCLUSIVE MODE");
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> writer.write(upsert("locked", columns, List.of("lid"), 200, row(2))))
                    .hasStackTraceContaining("lock timeout");
            holder.rollback();
        }
        writer.write(upsert("locked", columns, List.of("lid"), 200, row(2)));
        assertThat(query("SELECT lid FROM locked ORDER BY lid")).containsExactly(List.of(1), List.of(2));
    }

    /**
     * Upserts stage their rows in a temporary table kept for the session (one per set of columns) and emptied by every
     * commit, instead of one created and dropped per batch: rows of an earlier batch are never applied again. (Columns
     * named for this test only: the other tests' sessions keep staging tables of theirs.)
     */
    @Test
    void upsertsReuseTheSessionsStagingTableOfTheirColumnsEmptiedByEachCommit() throws Exception {
        List<Column> columns = List.of(column("sid", LogicalType.INT32), column("sname", LogicalType.TEXT));
        String staging = "SELECT c.oid::bigint FROM pg_class c WHERE c.relname LIKE '\\_pgingest\\_stage\\_%' AND c.relpersistence = 't'"
                + " ORDER BY 1";
        List<List<Object>> before = query(staging);
        writer.write(upsert("staged", columns, List.of("sid"), 100, row(1, "one")));
        List<List<Object>> first = query(staging);
        assertThat(first).as("one staging table more, kept after the commit").hasSize(before.size() + 1);

        writer.write(upsert("staged", columns, List.of("sid"), 200, row(2, "two")));
        writer.write(upsert("staged", columns, List.of("sid"), 300, row(2, "two-2"), row(3, "three")));
        assertThat(query(staging)).as("the same table for the same columns").isEqualTo(first);
        assertThat(query("SELECT sid, sname, _pgingest_position FROM staged ORDER BY sid"))
                .as("each batch applied its own rows only")
                .containsExactly(List.of(1, "one", 100L), List.of(2, "two-2", 300L), List.of(3, "three", 300L));

        List<Column> wider = List.of(column("sid", LogicalType.INT32), column("sname", LogicalType.TEXT),
                column("snote", LogicalType.TEXT));
        writer.write(upsert("staged", wider, List.of("sid"), 400, row(3, "three-4", "new column")));
        assertThat(query(staging)).as("another set of columns, another staging table").hasSize(first.size() + 1);
        assertThat(query("SELECT sid, sname, snote, _pgingest_position FROM staged ORDER BY sid")).containsExactly(
                java.util.Arrays.asList(1, "one", null, 100L), java.util.Arrays.asList(2, "two-2", null, 300L),
                List.of(3, "three-4", "new column", 400L));
    }

    @Test
    void upsertTableGetsPrimaryKeyOnTheKeyColumns() throws Exception {
        writer.write(upsert("pk", ACCOUNTS, List.of("id"), 1, row(1, "ann", 1L)));

        assertThat(single("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'dest.pk'::regclass "
                + "AND contype = 'p'")).as("the destination table has the source's primary key").containsExactly("PRIMARY KEY (id)");
    }

    @Test
    void columnsWidenAndNeverNarrow() throws Exception {
        List<Column> narrow = List.of(column("id", LogicalType.INT32), column("n", LogicalType.INT32),
                decimal("d", 10, 2), column("x", LogicalType.INT32));
        writer.write(upsert("widen", narrow, List.of("id"), 1, row(1, 5, new BigDecimal("12345678.90"), 7)));
        List<Column> wide = List.of(column("id", LogicalType.INT64), column("n", LogicalType.INT64),
                decimal("d", 12, 4), column("x", LogicalType.TEXT));
        writer.write(upsert("widen", wide, List.of("id"), 2, row(2L, 5_000_000_000L, new BigDecimal("12345678.1234"), "seven")));
        writer.write(upsert("widen", narrow, List.of("id"), 3, row(3, 6, new BigDecimal("1.00"), 8)));

        assertThat(typeOf("widen", "id")).as("a key column widens too").isEqualTo("bigint");
        assertThat(typeOf("widen", "n")).as("integer widened to bigint").isEqualTo("bigint");
        assertThat(typeOf("widen", "d")).as("numeric(10,2) and numeric(12,4) need numeric(12,4)").isEqualTo("numeric(12,4)");
        assertThat(typeOf("widen", "x")).as("integer and text need text").isEqualTo("text");
        assertThat(query("SELECT id, n, d, x FROM widen ORDER BY id")).as("old values survive widening")
                .containsExactly(List.of(1L, 5L, new BigDecimal("12345678.9000"), "7"),
                        List.of(2L, 5_000_000_000L, new BigDecimal("12345678.1234"), "seven"),
                        List.of(3L, 6L, new BigDecimal("1.0000"), "8"));
    }

    @Test
    void textWithNulCharacterIsRejectedClearly() {
        List<Column> columns = List.of(column("id", LogicalType.INT32), column("t", LogicalType.TEXT));

        assertThatThrownBy(() -> writer.write(upsert("nul", columns, List.of("id"), 1, row(1, "a\0b"))))
                .as("PostgreSQL text cannot hold NUL: the error names the column and the cause")
                .hasMessageContaining("column t").hasMessageContaining("NUL");
    }

    @Test
    void everyLogicalTypeRoundTrips() throws Exception {
        List<Column> columns = List.of(column("id", LogicalType.INT32), column("b", LogicalType.BOOLEAN),
                column("i16", LogicalType.INT16), column("i64", LogicalType.INT64), column("f32", LogicalType.FLOAT32),
                column("f64", LogicalType.FLOAT64), decimal("dec", 38, 10), column("num", LogicalType.DECIMAL, "numeric"),
                column("t", LogicalType.TEXT), column("j", LogicalType.JSON, "jsonb"), column("js", LogicalType.JSON, "json"),
                column("arr", LogicalType.JSON, "integer[]"), column("bin", LogicalType.BYTES), column("d", LogicalType.DATE),
                column("tm", LogicalType.TIME), column("ttz", LogicalType.TIMETZ), column("ts", LogicalType.TIMESTAMP),
                column("tstz", LogicalType.TIMESTAMPTZ), column("iv", LogicalType.INTERVAL), column("u", LogicalType.UUID));
        UUID uuid = UUID.randomUUID();
        Object[] values = row(1, true, (short) -32768, Long.MIN_VALUE, Float.NaN, Double.NEGATIVE_INFINITY,
                new BigDecimal("1234567890123456789012345678.0123456789"), new BigDecimal("-1E-50"),
                "tab\there\nnew\r \\ back \\N 'quote' ünïcødé 😀", "{\"a\": [1, 2]}", "{\"k\":1,  \"k\":2}", "[1,2,3]",
                new byte[] {0, 1, (byte) 0xff, '\t', '\\'}, LocalDate.of(-43, 3, 15), LocalTime.of(23, 59, 59, 999_999_000),
                OffsetTime.of(1, 2, 3, 0, ZoneOffset.ofHoursMinutes(-5, -30)), LocalDateTime.of(2024, 2, 29, 12, 0, 0, 123_456_000),
                OffsetDateTime.of(2024, 1, 1, 0, 0, 0, 0, ZoneOffset.ofHours(3)), "1 year 2 mons -3 days +04:05:06.5", uuid);
        Object[] edges = row(2, false, (short) 1, 1L, Float.POSITIVE_INFINITY, Double.NaN, "NaN", "-Infinity",
                "", "null", "[]", "[]", new byte[0], LocalDate.MAX, LocalTime.MIDNIGHT, OffsetTime.of(0, 0, 0, 0, ZoneOffset.UTC),
                LocalDateTime.MIN, OffsetDateTime.MAX, "00:00:00", uuid);
        Object[] nulls = new Object[columns.size()];
        nulls[0] = 3;
        writer.write(upsert("types", columns, List.of("id"), 1, values, edges, nulls));

        List<Object> read = single("SELECT b, i16, i64, f32, f64, dec, num, t, j::text, js::text, arr, bin, d::text, tm, "
                + "ttz::text, ts, tstz, iv::text, u FROM types WHERE id = 1");
        assertThat(read.subList(0, 8)).as("scalars, exact numerics and escaped text round-trip").containsExactly(true,
                (int) (short) -32768, Long.MIN_VALUE, Float.NaN, Double.NEGATIVE_INFINITY,
                new BigDecimal("1234567890123456789012345678.0123456789"), new BigDecimal("-1E-50"), values[8]);
        assertThat(read.subList(8, 11)).as("jsonb normalised, json kept verbatim, arrays as JSON text")
                .containsExactly("{\"a\": [1, 2]}", "{\"k\":1,  \"k\":2}", "[1,2,3]");
        assertThat((byte[]) read.get(11)).as("bytea including 0x00 and backslash").containsExactly(0, 1, (byte) 0xff, '\t', '\\');
        assertThat(read.get(12)).as("a BC date").isEqualTo("0044-03-15 BC");
        assertThat(read.get(14)).as("timetz keeps its offset").isEqualTo("01:02:03-05:30");
        assertThat(((java.sql.Timestamp) read.get(15)).toLocalDateTime()).as("timestamp").isEqualTo(values[16]);
        assertThat(((java.sql.Timestamp) read.get(16)).toInstant()).as("timestamptz keeps the instant")
                .isEqualTo(((OffsetDateTime) values[17]).toInstant());
        assertThat(read.get(17)).as("interval").isEqualTo("1 year 2 mons -3 days +04:05:06.5");
        assertThat(read.get(18)).as("uuid").isEqualTo(uuid);
        assertThat(single("SELECT tm = '23:59:59.999999'::time FROM types WHERE id = 1")).as("time to the microsecond")
                .containsExactly(true);

        List<Object> edge = single("SELECT f32, f64, dec::text, num::text, t, j::text, octet_length(bin), d::text, ts::text, "
                + "tstz::text, iv::text FROM types WHERE id = 2");
        assertThat(edge).as("edge values: infinities, NaN, empty strings and bytes").containsExactly(
                Float.POSITIVE_INFINITY, Double.NaN, "NaN", "-Infinity", "", "null", 0, "infinity", "-infinity", "infinity", "00:00:00");
        assertThat(single("SELECT count(*) FROM types WHERE id = 3 AND b IS NULL AND dec IS NULL AND bin IS NULL "
                + "AND tstz IS NULL AND iv IS NULL AND u IS NULL AND j IS NULL AND t IS NULL")).as("nulls of every type")
                .containsExactly(1L);
        assertThat(typeOf("types", "j")).as("jsonb stays jsonb").isEqualTo("jsonb");
        assertThat(typeOf("types", "js")).as("json stays json").isEqualTo("json");
        assertThat(typeOf("types", "arr")).as("arrays are text").isEqualTo("text");
        assertThat(typeOf("types", "dec")).as("numeric holding Infinity becomes unconstrained numeric").isEqualTo("numeric");
    }

    @Test
    void binaryCopyRoundTripsEveryTypeItEncodes() throws Exception {
        List<Column> columns = List.of(column("id", LogicalType.INT32), column("b", LogicalType.BOOLEAN),
                column("i16", LogicalType.INT16), column("i64", LogicalType.INT64), column("f32", LogicalType.FLOAT32),
                column("f64", LogicalType.FLOAT64), decimal("dec", 38, 10), column("num", LogicalType.DECIMAL, "numeric"),
                column("t", LogicalType.TEXT), column("j", LogicalType.JSON, "jsonb"), column("js", LogicalType.JSON, "json"),
                column("bin", LogicalType.BYTES), column("d", LogicalType.DATE), column("tm", LogicalType.TIME),
                column("ts", LogicalType.TIMESTAMP), column("tstz", LogicalType.TIMESTAMPTZ), column("u", LogicalType.UUID));
        assertThat(CopyBinary.encodersFor(columns.stream().map(Column::type).toList(),
                columns.stream().map(PostgresTypes::ddlType).toList()))
                .as("this batch takes the binary COPY path").isNotNull();
        List<String> numerics = List.of("0", "1", "-1", "0.5", "10000", "9999.9999", "123456789012345678901234567.0123456789",
                "-0.0000000001", "100000000", "0.0001", "0.00010000", "12345.678", "-98765432109876543210.5", "1E+20", "5E-10");
        List<Object[]> rows = new java.util.ArrayList<>();
        UUID uuid = UUID.randomUUID();
        for (int i = 0; i < numerics.size(); i++) {
            rows.add(row(i, i % 2 == 0, (short) -i, Long.MAX_VALUE - i, 1.5f * i, -2.25 * i,
                    new BigDecimal(numerics.get(i)).setScale(10, java.math.RoundingMode.UNNECESSARY), new BigDecimal(numerics.get(i)),
                    "tab\tnew\nline ünïcødé 😀 " + i, "{\"a\": [" + i + "]}", "{\"k\":1,  \"k\":2}",
                    new byte[] {0, (byte) i, (byte) 0xff}, i == 0 ? LocalDate.of(-43, 3, 15) : LocalDate.of(1999, 12, 31).plusDays(i),
                    LocalTime.of(23, 59, 59, 999_999_000), LocalDateTime.of(1970, 1, 1, 0, 0).plusSeconds(i * 86_399L).plusNanos(123_456_000),
                    OffsetDateTime.of(2024, 1, 1, 0, 0, 0, 0, ZoneOffset.ofHours(3)).plusMinutes(i), uuid));
        }
        rows.add(row(100, null, null, null, Float.NaN, Double.POSITIVE_INFINITY, null, "NaN", "", "null", "[]", new byte[0],
                LocalDate.MAX, null, LocalDateTime.MIN, OffsetDateTime.MAX, null));
        writer.write(upsert("binary_types", columns, List.of("id"), 1, rows.toArray(new Object[0][])));

        for (int i = 0; i < numerics.size(); i++) {
            Object[] in = rows.get(i);
            List<Object> out = single("SELECT b, i16, i64, f32, f64, dec, num, t, j::text, js::text, bin, d, tm, ts, tstz, u "
                    + "FROM binary_types WHERE id = " + i);
            assertThat(out.subList(0, 8)).as("row %d: scalars and exact numerics (%s)", i, numerics.get(i))
                    .containsExactly(in[1], (int) (short) in[2], in[3], in[4], in[5], in[6],
                            // PostgreSQL has no negative scale: 1E+20 comes back as 100000000000000000000
                            ((BigDecimal) in[7]).setScale(Math.max(0, ((BigDecimal) in[7]).scale())), in[8]);
            assertThat(out.get(8)).as("jsonb").isEqualTo(in[9]);
            assertThat(out.get(9)).as("json verbatim").isEqualTo(in[10]);
            assertThat((byte[]) out.get(10)).as("bytea").containsExactly((byte[]) in[11]);
            assertThat(single("SELECT d::text, tm = '23:59:59.999999'::time, ts = '" + in[14] + "'::timestamp, tstz = '"
                    + in[15] + "'::timestamptz FROM binary_types WHERE id = " + i))
                    .as("row %d: date, time, timestamp, timestamptz", i)
                    .containsExactly(i == 0 ? "0044-03-15 BC" : in[12].toString(), true, true, true);
            assertThat(out.get(15)).as("uuid").isEqualTo(uuid);
        }
        assertThat(single("SELECT b IS NULL, f32::text, f64::text, num::text, t, j::text, octet_length(bin), d::text, "
                + "ts::text, tstz::text, u IS NULL FROM binary_types WHERE id = 100"))
                .as("nulls, NaN, infinities and empty values in binary form")
                .containsExactly(true, "NaN", "Infinity", "NaN", "", "null", 0, "infinity", "-infinity", "infinity", true);
    }

    @Test
    void historicalLoadCopiesIntoANewTableAndCreatesTheKeyAtItsEndKeepingTheNewestRowOfAReplayedKey() throws Exception {
        writer.write(historical("hist", ACCOUNTS, List.of("id"), 5, false, row(1, "ann", 10L), row(2, "bob", 20L)));
        // a page replayed after a crash, then the rest of the load
        writer.write(historical("hist", ACCOUNTS, List.of("id"), 5, false, row(2, "bob", 20L)));
        writer.write(historical("hist", ACCOUNTS, List.of("id"), 6, false, row(2, "bob v2", 21L), row(3, "cid", 30L)));
        assertThat(single("SELECT count(*) FROM pg_constraint WHERE conrelid = 'dest.hist'::regclass AND contype = 'p'"))
                .as("no primary key while the historical load runs").containsExactly(0L);

        writer.write(historical("hist", ACCOUNTS, List.of("id"), 6, true));

        assertThat(single("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'dest.hist'::regclass "
                + "AND contype = 'p'")).as("the key is created at the end of the load").containsExactly("PRIMARY KEY (id)");
        assertThat(query("SELECT id, name FROM hist ORDER BY id"))
                .as("one row per key, the newest position of a repeated key")
                .containsExactly(List.of(1, "ann"), List.of(2, "bob v2"), List.of(3, "cid"));
    }

    @Test
    void theKeyOfAHistoricalLoadIsBuiltWithMoreSortMemoryForItsTransactionOnly() throws Exception {
        // an event trigger records the setting the ALTER TABLE ... ADD PRIMARY KEY ran with
        try (Connection c = database.connect(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE public.key_build_memory (setting text)");
            s.execute("CREATE FUNCTION public.note_key_build_memory() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN "
                    + "INSERT INTO public.key_build_memory VALUES (current_setting('maintenance_work_mem')); END $$");
            s.execute("CREATE EVENT TRIGGER note_key_build_memory ON ddl_command_end WHEN TAG IN ('ALTER TABLE') "
                    + "EXECUTE FUNCTION public.note_key_build_memory()");
        }
        try {
            writer.write(historical("keymem", ACCOUNTS, List.of("id"), 5, false, row(1, "ann", 10L)));
            writer.write(historical("keymem", ACCOUNTS, List.of("id"), 5, true));
            // a later batch of the same writer (same connection) runs with the server's setting again
            writer.write(upsert("keymem", ACCOUNTS, List.of("id"), 6, row(2, "bob", 20L)));
            writer.write(upsert("keymem_other", ACCOUNTS, List.of("id"), 6, row(1, "ann", 10L)));
            writer.write(upsert("keymem_other", List.of(column("id", LogicalType.INT32), column("name", LogicalType.TEXT),
                    column("balance", LogicalType.INT64), column("added", LogicalType.TEXT)), List.of("id"), 7,
                    row(2, "bob", 20L, "x")));
        } finally {
            try (Connection c = database.connect(); Statement s = c.createStatement()) {
                s.execute("DROP EVENT TRIGGER note_key_build_memory");
                s.execute("DROP FUNCTION public.note_key_build_memory()");
            }
        }
        long server = (Long) single("SELECT pg_size_bytes(current_setting('maintenance_work_mem'))").get(0);
        assertThat(query("SELECT pg_size_bytes(setting) FROM public.key_build_memory"))
                .as("the key's build with at least 256 MB; the later ALTER TABLE ... ADD COLUMN with the server's setting")
                .containsExactly(List.of(Math.max(server, PostgresBatchLoad.KEY_BUILD_MEMORY)), List.of(server));
    }

    /**
     * Rows a source read with {@code COPY (...) TO STDOUT (FORMAT binary)} (CopyRows) go into destination columns of
     * the same types as they are, without being decoded; into a column of another type (here widened to bigint)
     * they are decoded and encoded for it.
     */
    @Test
    void binaryRowsAreCopiedOnAsTheyAreIntoColumnsOfTheirTypesAndDecodedForOthers() throws Exception {
        try (Connection c = database.connect(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE public.copy_src (id integer, name text, at timestamptz, flag boolean, note character(3),"
                    + " amount numeric(10,2))");
            s.execute("INSERT INTO public.copy_src VALUES (1, 'ann', '2024-01-02 03:04:05.123456+00', true, 'ab', 12.5),"
                    + " (2, NULL, 'infinity', false, NULL, 'NaN')");
            s.execute("CREATE TABLE dest.copy_widened (id bigint, name text, at timestamptz, flag boolean, note text, amount numeric,"
                    + " _pgingest_ingested_at timestamptz, _pgingest_loaded_at timestamptz, _pgingest_position bigint)");
        }
        List<Column> columns = List.of(column("id", LogicalType.INT32, "integer"), column("name", LogicalType.TEXT, "text"),
                column("at", LogicalType.TIMESTAMPTZ, "timestamp with time zone"), column("flag", LogicalType.BOOLEAN, "boolean"),
                column("note", LogicalType.TEXT, "character(3)"), decimal("amount", 10, 2));
        CopyRows asIs = copyRows(columns);
        writer.write(binaryBatch("copy_same", columns, asIs));
        assertThat(asIs.isDecoded()).as("copied on without decoding").isFalse();
        assertThat(typeOf("copy_same", "amount")).as("a NaN, seen in its bytes, makes the column unconstrained numeric")
                .isEqualTo("numeric");
        CopyRows widened = copyRows(columns);
        writer.write(binaryBatch("copy_widened", columns, widened));
        assertThat(widened.isDecoded()).as("decoded for the bigint column").isTrue();
        for (String table : List.of("copy_same", "copy_widened")) {
            assertThat(query("SELECT id::int, name, at::text, flag, note, amount::text, _pgingest_position FROM " + table
                    + " ORDER BY id")).as(table).containsExactly(
                            List.of(1, "ann", "2024-01-02 03:04:05.123456+00", true, "ab ", "12.50", 9L),
                            java.util.Arrays.asList(2, null, "infinity", false, null, "NaN", 9L));
        }
    }

    /** The rows of public.copy_src as a table source reads a page with COPY: the columns, then the key's text. */
    private static CopyRows copyRows(List<Column> columns) throws Exception {
        BinaryReaders.Readers readers = BinaryReaders.of(columns);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try (Connection c = database.connect()) {
            c.createStatement().execute("SET TimeZone TO 'UTC'");
            c.unwrap(org.postgresql.PGConnection.class).getCopyAPI().copyOut(
                    "COPY (SELECT id, name, at, flag, note, amount, id::text AS cursor FROM public.copy_src ORDER BY 1)"
                            + " TO STDOUT (FORMAT binary)", out);
        }
        byte[] bytes = out.toByteArray();
        return CopyRows.parse(bytes, bytes.length, readers.readers(), readers.binaryTypes(), 1);
    }

    private static RowBatch binaryBatch(String target, List<Column> columns, CopyRows rows) {
        return new RowBatch("p1", new SourceTable("src", "public", target), target, columns, List.of(), rows,
                LoadKind.HISTORICAL, WriteMode.REPLACE_RUN, 9, TestBatches.INGESTED_AT, java.util.Map.of(), false);
    }

    @Test
    void historicalBatchIntoATableWithKeyFallsBackToTheMergeOnAnExistingKey() throws Exception {
        writer.write(upsert("hist2", ACCOUNTS, List.of("id"), 1, row(1, "ann", 10L)));
        writer.write(historical("hist2", ACCOUNTS, List.of("id"), 2, false, row(1, "ann v2", 11L), row(2, "bob", 20L)));
        writer.write(historical("hist2", ACCOUNTS, List.of("id"), 3, false, row(3, "cid", 30L)));

        assertThat(query("SELECT id, name FROM hist2 ORDER BY id"))
                .as("the direct copy failed on the key and the batch was merged; the next one was copied")
                .containsExactly(List.of(1, "ann v2"), List.of(2, "bob"), List.of(3, "cid"));
    }
}
