import io.pgingest.PgIngest;
import java.io.BufferedReader;
import java.io.FileOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.camel.CamelContext;
import org.apache.camel.main.BaseMainSupport;
import org.apache.camel.main.Main;
import org.apache.camel.main.MainListenerSupport;

/**
 * bench/logical-warm.sh's helper: pg-ingest embedded in this JVM, streaming as a service does, with one
 * pipeline's route stopped and started on command, so that a backlog drain is timed from the pipeline's
 * start in a JVM that keeps running (its classes loaded and its code compiled by earlier drains).
 *
 * <pre>java -Dcamel.main.routes-include-pattern=... -cp target/pg-ingest.jar bench/WarmDrain.java LOGFILE ROUTE_ID DESTINATION</pre>
 *
 * DESTINATION is a JDBC URL of a PostgreSQL destination, or {@code duckdb:FILE} for the DuckDB file the pipeline
 * writes: read through the pipeline's own DuckDB instance (a file takes one process, and this is it).
 *
 * The application's log goes to LOGFILE. Commands on standard input, one per line; each is answered on
 * standard output by one line starting with {@code WARMDRAIN}:
 * <ul>
 *   <li>{@code stop}: stops the route (Debezium's engine closes; the slot keeps the changes made meanwhile);</li>
 *   <li>{@code start}: notes the time, starts the route;</li>
 *   <li>{@code wait TABLE ID}: waits until the destination table holds the row with that {@code id} (a marker
 *   written after the changes; the pipeline applies changes in commit order) and answers with the seconds
 *   since the last {@code start}. One connection polls every 10 ms, so the wait costs next to nothing;</li>
 *   <li>{@code query SQL}: answers with the first row of the query on the destination, its values joined by spaces;</li>
 *   <li>{@code expect TEXT}, then {@code until SQL}: polls the query (every 10 ms) until its first row, as {@code query}
 *   answers it, is TEXT, and answers with the seconds since the last {@code start}: the time the destination holds
 *   every change, since the tables of a batch are written at the same time (the marker's table may be committed
 *   before the others of its batch);</li>
 *   <li>{@code quit}.</li>
 * </ul>
 */
public class WarmDrain {

    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: java -cp target/pg-ingest.jar bench/WarmDrain.java LOGFILE ROUTE_ID DESTINATION"
                    + " (a PostgreSQL JDBC URL, or duckdb:FILE)");
            System.exit(2);
        }
        PrintStream replies = System.out;
        PrintStream log = new PrintStream(new FileOutputStream(args[0], true), true, StandardCharsets.UTF_8);
        System.setOut(log);
        System.setErr(log);
        String routeId = args[1];

        CompletableFuture<CamelContext> started = new CompletableFuture<>();
        Main[] main = new Main[1];
        Thread app = new Thread(() -> {
            int code = PgIngest.run(new String[0], m -> {
                main[0] = m;
                m.addMainListener(new MainListenerSupport() {
                    @Override
                    public void afterStart(BaseMainSupport s) {
                        started.complete(s.getCamelContext());
                    }
                });
            });
            started.completeExceptionally(new IllegalStateException("pg-ingest ended with exit code " + code));
        }, "warm-drain-app");
        app.start();
        CamelContext context = started.get(120, TimeUnit.SECONDS);
        if (context.getRoute(routeId) == null) {
            replies.println("WARMDRAIN error: no route " + routeId);
            main[0].completed();
            System.exit(2);
        }
        replies.println("WARMDRAIN ready");

        long startedAt = 0;
        String expected = "";
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        try (Connection destination = args[2].startsWith("duckdb:")
                ? io.pgingest.destination.duckdb.DuckDbDatabase.acquire(java.nio.file.Path.of(args[2].substring(7))).duplicate()
                : DriverManager.getConnection(args[2])) {
            for (String line; (line = in.readLine()) != null; ) {
                String[] command = line.trim().split("\\s+");
                try {
                    switch (command[0]) {
                        case "stop" -> {
                            context.getRouteController().stopRoute(routeId);
                            replies.println("WARMDRAIN stopped");
                        }
                        case "start" -> {
                            startedAt = System.nanoTime();
                            context.getRouteController().startRoute(routeId);
                            replies.println("WARMDRAIN started");
                        }
                        case "wait" -> {
                            awaitRow(destination, command[1], Long.parseLong(command[2]));
                            replies.printf("WARMDRAIN drained %.2f%n", (System.nanoTime() - startedAt) / 1e9);
                        }
                        case "query" -> replies.println("WARMDRAIN row " + firstRow(destination, line.trim().substring(5)));
                        case "expect" -> {
                            expected = line.trim().substring(6).trim();
                            replies.println("WARMDRAIN expecting " + expected);
                        }
                        case "until" -> {
                            String sql = line.trim().substring(5);
                            long end = System.nanoTime() + TimeUnit.MINUTES.toNanos(15);
                            while (!firstRow(destination, sql).equals(expected)) {
                                if (System.nanoTime() > end) {
                                    throw new IllegalStateException("the destination did not hold " + expected + " within 15 minutes");
                                }
                                Thread.sleep(10);
                            }
                            replies.printf("WARMDRAIN drained %.2f%n", (System.nanoTime() - startedAt) / 1e9);
                        }
                        case "quit" -> {
                            main[0].completed();
                            app.join(120_000);
                            replies.println("WARMDRAIN quit");
                            System.exit(0);
                        }
                        default -> replies.println("WARMDRAIN error: unknown command '" + line
                                + "' (stop, start, wait TABLE ID, query SQL, expect TEXT, until SQL, quit)");
                    }
                } catch (Exception e) {
                    replies.println("WARMDRAIN error: " + e);
                }
            }
        }
        main[0].completed();
        app.join(120_000);
        System.exit(0);
    }

    /** The query's first row, its values joined by spaces ("" when it has none). */
    private static String firstRow(Connection c, String sql) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
            StringBuilder row = new StringBuilder();
            if (rs.next()) {
                for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
                    row.append(i > 1 ? " " : "").append(rs.getString(i));
                }
            }
            return row.toString();
        }
    }

    /** Polls until {@code table} (schema-qualified) holds the row with {@code id}; a table not created yet counts as empty. */
    private static void awaitRow(Connection c, String table, long id) throws SQLException, InterruptedException {
        long end = System.nanoTime() + TimeUnit.MINUTES.toNanos(15);
        while (System.nanoTime() < end) {
            try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM " + table + " WHERE id = ?")) {
                ps.setLong(1, id);
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        return;
                    }
                }
            } catch (SQLException e) {
                // an undefined table (PostgreSQL's 42P01, DuckDB's catalog error): its first change has not arrived yet
                if (!"42P01".equals(e.getSQLState()) && !String.valueOf(e.getMessage()).contains("does not exist")) {
                    throw e;
                }
            }
            Thread.sleep(10);
        }
        throw new IllegalStateException("row " + id + " of " + table + " did not arrive within 15 minutes");
    }
}
