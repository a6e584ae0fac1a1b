package io.pgingest.destination;

import static io.pgingest.destination.TestBatches.column;

import io.pgingest.destination.duckdb.DuckDbWriter;
import io.pgingest.destination.postgres.PostgresWriter;
import io.pgingest.event.Column;
import io.pgingest.event.LogicalType;
import io.pgingest.testsupport.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Prints the rows/s of both writers on a pgbench_accounts-like Full Load (1M rows, batches of
 * 10,000, upsert by aid). Not a test: run with
 * {@code java -cp target/classes:target/test-classes:<deps> io.pgingest.destination.WriterBenchmark [rows]}.
 */
public final class WriterBenchmark {

    private static final List<Column> ACCOUNTS = List.of(column("aid", LogicalType.INT32), column("bid", LogicalType.INT32),
            column("abalance", LogicalType.INT32), column("filler", LogicalType.TEXT, "character(84)"));

    public static void main(String[] args) throws Exception {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        String which = args.length > 1 ? args[1] : "both";
        String filler = " ".repeat(84);
        if (!which.equals("pg")) {
            Path dir = Files.createTempDirectory("bench");
            try (DuckDbWriter writer = new DuckDbWriter(dir.resolve("bench.duckdb"))) {
                report("duckdb", rows, run(writer, rows, filler, 1));
                report("duckdb re-load (all keys exist)", rows, run(writer, rows, filler, 2));
            }
        }
        if (!which.equals("duckdb")) {
            try (TestDatabase db = TestDatabase.create("bench");
                 PostgresWriter writer = new PostgresWriter(db.url(), TestDatabase.USER, TestDatabase.PASSWORD, "public")) {
                report("postgres", rows, run(writer, rows, filler, 1));
                report("postgres re-load (all keys exist)", rows, run(writer, rows, filler, 2));
            }
        }
    }

    private static long run(DestinationWriter writer, int rows, String filler, long position) throws Exception {
        long start = System.nanoTime();
        for (int from = 1; from <= rows; from += 10_000) {
            List<Object[]> batch = new ArrayList<>(10_000);
            for (int aid = from; aid < from + 10_000 && aid <= rows; aid++) {
                batch.add(new Object[] {aid, (aid - 1) / 100_000 + 1, 0, filler});
            }
            writer.write(TestBatches.upsert("pgbench_accounts", ACCOUNTS, List.of("aid"), position,
                    batch.toArray(new Object[0][])));
        }
        return System.nanoTime() - start;
    }

    private static void report(String name, int rows, long nanos) {
        System.out.printf("%s: %d rows in %.2f s = %.0f rows/s%n", name, rows, nanos / 1e9, rows / (nanos / 1e9));
    }
}
