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
 * <pre>java -Dcamel.main.routes-include-pattern=... -cp target/pg-ingest.jar bench/WarmDrain.java LOGFILE ROUTE_ID DEST_JDBC_URL</pre>
 *
 * The application's log goes to LOGFILE. Commands on standard input, one per line; each is answered on
 * standard output by one line starting with {@code WARMDRAIN}:
 * <ul>
 *   <li>{@code stop}: stops the route (Debezium's engine closes; the slot keeps the changes made meanwhile);</li>
 *   <li>{@code start}: notes the time, starts the route;</li>
 *   <li>{@code wait TABLE ID}: waits until the destination table holds the row with that {@code id} (a marker
 *   written after the changes; the pipeline applies changes in commit order) and answers with the seconds
 *   since the last {@code start}. One connection polls every 10 ms, so the wait costs next to nothing;</li>
 *   <li>{@code quit}.</li>
 * </ul>
 */
public class WarmDrain {

    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: java -cp target/pg-ingest.jar bench/WarmDrain.java LOGFILE ROUTE_ID DEST_JDBC_URL");
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
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        try (Connection destination = DriverManager.getConnection(args[2])) {
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
                        case "quit" -> {
                            main[0].completed();
                            app.join(120_000);
                            replies.println("WARMDRAIN quit");
                            System.exit(0);
                        }
                        default -> replies.println("WARMDRAIN error: unknown command '" + line + "' (stop, start, wait TABLE ID, quit)");
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
                if (!"42P01".equals(e.getSQLState())) { // undefined table: its first change has not arrived yet
                    throw e;
                }
            }
            Thread.sleep(10);
        }
        throw new IllegalStateException("row " + id + " of " + table + " did not arrive within 15 minutes");
    }
}
