package io.pgingest.it;

import io.pgingest.PgIngest;
import io.pgingest.testsupport.ResultRows;
import io.pgingest.testsupport.TestDatabase;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs the real application ({@link PgIngest#run} with {@code --once}) over pipeline files
 * written into a work directory, with its own properties file, state store and DuckDB file.
 */
public final class PipelineRun {

    public final Path dir;
    public final Path duckdb;

    public PipelineRun(Path dir) throws IOException {
        this.dir = dir;
        this.duckdb = dir.resolve("dest.duckdb");
        Files.createDirectories(dir.resolve("routes"));
        Files.writeString(dir.resolve("app.properties"), String.join("\n",
                "camel.main.routes-include-pattern = file:" + dir.resolve("routes") + "/*.camel.yaml",
                "camel.main.source-location-enabled = true",
                "pgingest.state.url = jdbc:h2:file:" + dir.resolve("state"),
                ""));
    }

    /** Writes a table-mode pipeline over {@code db} into DuckDB with the given extra parameters. */
    public Path pipeline(String name, TestDatabase db, String... extra) throws IOException {
        return pipelineTo(name, db, "pgingest-duckdb:" + duckdb, extra);
    }

    /** The URI of a PostgreSQL destination writing into schema public of {@code dest}. */
    public static String postgresDestination(TestDatabase dest) {
        return "pgingest-postgres:" + dest.name() + "?host=" + TestDatabase.HOST + "&port=" + TestDatabase.PORT + "&user="
                + TestDatabase.USER + "&password=RAW(" + TestDatabase.PASSWORD + ")&schema=public";
    }

    public Path pipelineTo(String name, TestDatabase db, String destination, String... extra) throws IOException {
        StringBuilder y = new StringBuilder();
        y.append("- templatedRoute:\n    routeTemplateRef: pg-ingest\n    routeId: ").append(name).append("\n    parameters:\n");
        param(y, "pipeline", name);
        java.util.Set<String> given = new java.util.HashSet<>();
        for (int i = 0; i < extra.length; i += 2) {
            given.add(extra[i]);
        }
        // defaults for the parameters that extra does not give
        String[] defaults = {"mode", "table", "host", TestDatabase.HOST, "port", Integer.toString(TestDatabase.PORT),
                "database", db.name(), "user", TestDatabase.USER, "password", TestDatabase.PASSWORD, "destination", destination};
        for (int i = 0; i < defaults.length; i += 2) {
            if (!given.contains(defaults[i])) {
                param(y, defaults[i], defaults[i + 1]);
            }
        }
        for (int i = 0; i < extra.length; i += 2) {
            param(y, extra[i], extra[i + 1]);
        }
        return write(name.substring(0, Math.min(name.length(), 60)) + ".camel.yaml", y.toString());
    }

    public Path write(String file, String content) throws IOException {
        return Files.writeString(dir.resolve("routes").resolve(file), content);
    }

    private static void param(StringBuilder y, String name, String value) {
        y.append("      - name: ").append(name).append('\n');
        if (value.contains("\n")) {
            y.append("        value: |\n");
            for (String line : value.split("\n")) {
                y.append("          ").append(line).append('\n');
            }
        } else {
            y.append("        value: '").append(value.replace("'", "''")).append("'\n");
        }
    }

    /** The exit code and what the application wrote to stderr. */
    public record Result(int exitCode, String stderr) {
    }

    public Result once() {
        PrintStream original = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            int code = PgIngest.run(new String[] {"--once", "-pl", "file:" + dir.resolve("app.properties")});
            return new Result(code, err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setErr(original);
        }
    }

    /** The exit code and what the application wrote to stdout (logs included) and stderr. */
    public record Output(int exitCode, String stdout, String stderr) {
    }

    /** Runs the application with these options (e.g. {@code --status}) and this run's properties file. */
    public Output command(String... options) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        System.setOut(new PrintStream(stdout, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(stderr, true, StandardCharsets.UTF_8));
        try {
            List<String> args = new ArrayList<>(List.of(options));
            args.addAll(List.of("-pl", "file:" + dir.resolve("app.properties")));
            int code = PgIngest.run(args.toArray(new String[0]));
            return new Output(code, stdout.toString(StandardCharsets.UTF_8), stderr.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    /** The application running its pipelines continuously (no {@code --once}) on a thread of its own. */
    public final class Streaming implements AutoCloseable {
        private final java.util.concurrent.CompletableFuture<org.apache.camel.main.Main> main = new java.util.concurrent.CompletableFuture<>();
        private final java.util.concurrent.CompletableFuture<Integer> exit = new java.util.concurrent.CompletableFuture<>();

        private Streaming() {
            Thread t = new Thread(() -> {
                try {
                    exit.complete(PgIngest.run(new String[] {"-pl", "file:" + dir.resolve("app.properties")}, main::complete));
                } catch (Throwable e) {
                    exit.completeExceptionally(e);
                }
            }, "pipeline-run-streaming");
            t.start();
        }

        /** The running application's Camel context (waits for its start). */
        public org.apache.camel.CamelContext camelContext() throws Exception {
            org.apache.camel.main.Main m = main.get(2, java.util.concurrent.TimeUnit.MINUTES);
            PipelineRun.eventually(java.time.Duration.ofMinutes(2), () -> m.getCamelContext() != null && m.getCamelContext().isStarted());
            return m.getCamelContext();
        }

        /** Stops the application and returns its exit code. */
        public int stop() throws Exception {
            main.get().completed();
            return exit.get(2, java.util.concurrent.TimeUnit.MINUTES); // a bound against a hung stop, not a timing check
        }

        @Override
        public void close() throws Exception {
            if (!exit.isDone()) {
                stop();
            }
        }
    }

    public Streaming stream() {
        return new Streaming();
    }

    /**
     * Polls {@code condition} every half second until it holds or {@code limit} has passed; returns whether it held. A
     * bound for a wait, not a timing assertion: tests give it far more time than the condition needs.
     */
    public static boolean eventually(java.time.Duration limit, java.util.concurrent.Callable<Boolean> condition) throws Exception {
        long end = System.nanoTime() + limit.toNanos();
        while (true) {
            if (Boolean.TRUE.equals(condition.call())) {
                return true;
            }
            if (System.nanoTime() > end) {
                return false;
            }
            Thread.sleep(500);
        }
    }

    /** Rows of a DuckDB query, each as a list of column values. */
    public List<List<Object>> duck(String sql) throws SQLException {
        return duck(duckdb, sql);
    }

    /** Rows of a query on another DuckDB file. */
    public static List<List<Object>> duck(Path file, String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:" + file);
             Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            return ResultRows.of(rs);
        }
    }

    /** Runs a DuckDB statement (DDL or DML). */
    public void duckExecute(String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:" + duckdb); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    public long duckCount(String table) throws SQLException {
        return ((Number) duck("SELECT count(*) FROM " + table).get(0).get(0)).longValue();
    }

    /**
     * A trigger of {@code table} in {@code dest} ({@code when}, e.g. {@code BEFORE INSERT}) failing the rows that meet
     * {@code condition}: a destination that refuses a batch, so that a run fails in the middle of a transaction.
     */
    public static void refuse(TestDatabase dest, String table, String when, String condition) throws Exception {
        dest.execute("CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$",
                "CREATE TRIGGER refuse " + when + " ON " + table + " FOR EACH ROW WHEN (" + condition + ") EXECUTE FUNCTION refuse()");
    }

    public static List<List<Object>> pg(TestDatabase db, String sql) throws SQLException {
        try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            return ResultRows.of(rs);
        }
    }
}
