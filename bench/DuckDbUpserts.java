import io.pgingest.destination.duckdb.DuckDbWriter;
import io.pgingest.event.Column;
import io.pgingest.event.LoadKind;
import io.pgingest.event.LogicalType;
import io.pgingest.event.RowBatch;
import io.pgingest.event.SourceTable;
import io.pgingest.event.WriteMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.duckdb.DuckDBAppender;
import org.duckdb.DuckDBConnection;

/**
 * bench/duckdb-upserts.sh's program: upserts of changed rows into a 1M-row DuckDB table, by pg-ingest's DuckDB writer
 * against DuckDB's own {@code MERGE} of the same rows (appended into a staging table, as the writer does, then one
 * {@code MERGE} per batch: what the writer did before the seventeenth session), each on its own copy of the same file.
 *
 * <pre>java -cp target/pg-ingest.jar bench/DuckDbUpserts.java [DIR]</pre>
 *
 * The table has pgbench_accounts' shape with a text column of random values ({@code id}, {@code branch},
 * {@code balance}, {@code note}) plus pg-ingest's metadata columns. Each case writes its batches, one transaction
 * each, and prints both times and their ratio; the two tables must then hold the same rows (checked, exit 1 if not).
 */
public final class DuckDbUpserts {

    private static final int ROWS = 1_000_000;
    private static final List<Column> COLUMNS = List.of(column("id", LogicalType.INT32), column("branch", LogicalType.INT32),
            column("balance", LogicalType.INT64), column("note", LogicalType.TEXT), column("_pgingest_deleted", LogicalType.BOOLEAN));
    private static final Instant INGESTED_AT = Instant.parse("2026-11-25T00:00:00Z");

    /** @param without a column the batches leave out (so that the table keeps its value), or null */
    private record Case(String name, int batches, int rowsPerBatch, boolean consecutive, String without) {
    }

    public static void main(String[] args) throws Exception {
        Path dir = args.length > 0 ? Path.of(args[0]) : Files.createTempDirectory("duckdb-upserts");
        Files.createDirectories(dir);
        Path seed = dir.resolve("seed.duckdb");
        long start = System.nanoTime();
        try (DuckDbWriter writer = new DuckDbWriter(seed)) {
            // the table as a historical load leaves it; its rows then go in by SQL, faster than through batches
            writer.write(batch(List.<Object[]>of(new Object[] {0, 0, 0L, "", false}), COLUMNS, 1));
        }
        try (DuckDBConnection c = (DuckDBConnection) DriverManager.getConnection("jdbc:duckdb:" + seed);
             Statement s = c.createStatement()) {
            s.execute("DELETE FROM accounts");
            s.execute("INSERT INTO accounts SELECT i, i // 100000, 0, md5(i::VARCHAR), false, now(), now(), 1"
                    + " FROM range(1, " + (ROWS + 1) + ") t(i)");
            s.execute("CHECKPOINT");
        }
        System.out.printf("seed: %,d rows in %.1f s (%s)%n", ROWS, (System.nanoTime() - start) / 1e9, seed);
        List<Case> cases = List.of(
                new Case("random keys, whole rows", 20, 2_500, false, null),
                new Case("random keys, whole rows", 50, 10_000, false, null),
                new Case("consecutive keys, whole rows", 100, 10_000, true, null),
                new Case("random keys, without note", 20, 2_500, false, "note"),
                new Case("random keys, without balance", 20, 2_500, false, "balance"));
        System.out.printf("%-32s %8s %8s   %10s %10s %7s%n", "case", "batches", "rows", "writer s", "MERGE s", "ratio");
        boolean same = true;
        for (Case k : cases) {
            Path mine = dir.resolve("writer.duckdb");
            Path theirs = dir.resolve("merge.duckdb");
            Files.copy(seed, mine, StandardCopyOption.REPLACE_EXISTING);
            Files.copy(seed, theirs, StandardCopyOption.REPLACE_EXISTING);
            List<List<Object[]>> batches = batches(k);
            List<Column> columns = COLUMNS.stream().filter(x -> !x.name().equals(k.without())).toList();
            long t0 = System.nanoTime();
            try (DuckDbWriter writer = new DuckDbWriter(mine)) {
                long position = 2;
                for (List<Object[]> rows : batches) {
                    writer.write(batch(rows, columns, position++));
                }
            }
            long writer = System.nanoTime() - t0;
            long merge = merge(theirs, batches, columns);
            boolean equal = sameRows(mine, theirs);
            same &= equal;
            System.out.printf("%-32s %8d %8d   %10.2f %10.2f %7.2f%s%n", k.name(), k.batches(), k.rowsPerBatch(),
                    writer / 1e9, merge / 1e9, (double) writer / merge, equal ? "" : "   TABLES DIFFER");
        }
        if (!same) {
            System.exit(1);
        }
    }

    private static Column column(String name, LogicalType type) {
        return new Column(name, type.name().toLowerCase(), type, -1, -1, true);
    }

    private static RowBatch batch(List<Object[]> rows, List<Column> columns, long position) {
        return new RowBatch("bench", new SourceTable("bench", "public", "accounts"), "accounts", columns, List.of("id"),
                rows, LoadKind.INCREMENTAL, WriteMode.UPSERT, position, INGESTED_AT, Map.of(), false);
    }

    /** The batches' rows: distinct keys per batch, random or consecutive; a random note unless left out. */
    private static List<List<Object[]>> batches(Case k) {
        Random random = new Random(17);
        List<List<Object[]>> out = new ArrayList<>();
        for (int b = 0; b < k.batches(); b++) {
            Set<Integer> keys = new LinkedHashSet<>();
            while (keys.size() < k.rowsPerBatch()) {
                keys.add(k.consecutive() ? 1 + (b * k.rowsPerBatch() + keys.size()) % ROWS : 1 + random.nextInt(ROWS));
            }
            List<Object[]> rows = new ArrayList<>(keys.size());
            for (int id : keys) {
                long balance = random.nextInt(100_000);
                List<Object> row = new ArrayList<>(List.of(id, id / 100_000, balance,
                        Long.toHexString(random.nextLong()) + Long.toHexString(random.nextLong()), false));
                if (k.without() != null) {
                    row.remove(COLUMNS.indexOf(COLUMNS.stream().filter(x -> x.name().equals(k.without())).findFirst().orElseThrow()));
                }
                rows.add(row.toArray());
            }
            out.add(rows);
        }
        return out;
    }

    /** DuckDB's MERGE of the same batches: appended into a staging table, then one MERGE and a commit per batch. */
    private static long merge(Path file, List<List<Object[]>> batches, List<Column> columns) throws Exception {
        long t0 = System.nanoTime();
        try (DuckDBConnection c = (DuckDBConnection) DriverManager.getConnection("jdbc:duckdb:" + file)) {
            try (Statement s = c.createStatement()) {
                s.execute("SET threads = " + DuckDbWriter.defaultThreads());
                s.execute("SET checkpoint_threshold = '" + DuckDbWriter.DEFAULT_CHECKPOINT_THRESHOLD + "'");
            }
            c.setAutoCommit(false);
            List<String> names = columns.stream().map(Column::name).toList();
            String definitions = String.join(", ", columns.stream().map(x -> x.name() + " " + switch (x.type()) {
                case INT32 -> "INTEGER";
                case INT64 -> "BIGINT";
                case BOOLEAN -> "BOOLEAN";
                default -> "VARCHAR";
            }).toList());
            String set = String.join(", ", names.stream().filter(n -> !n.equals("id")).map(n -> n + " = s." + n).toList());
            long position = 2;
            for (List<Object[]> rows : batches) {
                try (Statement s = c.createStatement()) {
                    s.execute("CREATE TEMP TABLE stage (" + definitions + ")");
                    try (DuckDBAppender a = c.createAppender("temp", "main", "stage")) {
                        for (Object[] row : rows) {
                            a.beginRow();
                            for (Object v : row) {
                                if (v instanceof Integer i) {
                                    a.append(i);
                                } else if (v instanceof Long l) {
                                    a.append(l);
                                } else if (v instanceof Boolean b) {
                                    a.append(b);
                                } else {
                                    a.append((String) v);
                                }
                            }
                            a.endRow();
                        }
                    }
                    String p = position++ + "::BIGINT";
                    s.executeUpdate("MERGE INTO accounts AS t USING (SELECT *, TIMESTAMPTZ '" + INGESTED_AT + "' AS i, now() AS l,"
                            + " " + p + " AS p FROM temp.main.stage) AS s ON (t.id = s.id) WHEN MATCHED AND (t._pgingest_position"
                            + " IS NULL OR t._pgingest_position <= s.p) THEN UPDATE SET " + set + ", _pgingest_ingested_at = s.i,"
                            + " _pgingest_loaded_at = s.l, _pgingest_position = s.p WHEN NOT MATCHED THEN INSERT ("
                            + String.join(", ", names) + ", _pgingest_ingested_at, _pgingest_loaded_at, _pgingest_position)"
                            + " VALUES (" + String.join(", ", names.stream().map(n -> "s." + n).toList()) + ", s.i, s.l, s.p)");
                    s.execute("DROP TABLE temp.main.stage");
                }
                c.commit();
            }
        }
        return System.nanoTime() - t0;
    }

    /** Whether both files' tables hold the same rows (but the time each was loaded). */
    private static boolean sameRows(Path a, Path b) throws Exception {
        try (DuckDBConnection c = (DuckDBConnection) DriverManager.getConnection("jdbc:duckdb:");
             Statement s = c.createStatement()) {
            s.execute("ATTACH '" + a + "' AS a (READ_ONLY)");
            s.execute("ATTACH '" + b + "' AS b (READ_ONLY)");
            String cols = "id, branch, balance, note, _pgingest_deleted, _pgingest_position";
            try (ResultSet rs = s.executeQuery("SELECT (SELECT count(*) FROM (SELECT " + cols + " FROM a.accounts EXCEPT ALL SELECT "
                    + cols + " FROM b.accounts)) + (SELECT count(*) FROM (SELECT " + cols + " FROM b.accounts EXCEPT ALL SELECT "
                    + cols + " FROM a.accounts)), (SELECT count(*) FROM a.accounts)")) {
                rs.next();
                return rs.getLong(1) == 0 && rs.getLong(2) == ROWS;
            }
        }
    }
}
