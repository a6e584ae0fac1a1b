package io.pgingest.tools;

import io.pgingest.destination.duckdb.DuckDbNative;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Set;

/**
 * Command-line tool that runs one SQL query against a DuckDB file opened read-only and prints the
 * result: {@code java -cp pg-ingest.jar io.pgingest.tools.DuckDbQuery [--tsv] <file.duckdb> "<sql>"}.
 * Exit code 0 on success, 1 when the file is missing or the query fails (one line on stderr saying
 * why), 2 on wrong usage. Used by the demo and benchmark scripts to look at what pg-ingest wrote.
 */
public final class DuckDbQuery {

    static final String USAGE = "usage: java -cp pg-ingest.jar io.pgingest.tools.DuckDbQuery [--tsv] <file.duckdb> \"<sql>\"\n"
            + "  prints the result as an aligned table; --tsv prints tab-separated rows without header (for scripts)";

    /** Beyond this many rows the aligned form stops: it is meant for people, scripts use --tsv. */
    static final int MAX_ALIGNED_ROWS = 1000;

    private static final Set<Integer> NUMERIC_TYPES = Set.of(Types.TINYINT, Types.SMALLINT, Types.INTEGER,
            Types.BIGINT, Types.DECIMAL, Types.NUMERIC, Types.REAL, Types.FLOAT, Types.DOUBLE);

    private DuckDbQuery() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs the command line {@code args}, writing the result to {@code out} and errors to {@code err}; returns the exit code. */
    static int run(String[] args, PrintStream out, PrintStream err) {
        boolean tsv = args.length > 0 && args[0].equals("--tsv");
        int first = tsv ? 1 : 0;
        if (args.length - first != 2 || args[first].isBlank() || args[first + 1].isBlank()) {
            err.println(USAGE);
            return 2;
        }
        Path file = Path.of(args[first]);
        String sql = args[first + 1];
        try {
            TextTable table = query(file, sql, tsv ? Integer.MAX_VALUE : MAX_ALIGNED_ROWS + 1);
            if (tsv) {
                out.print(table.tabSeparated());
            } else {
                printAligned(table, out);
            }
            out.flush();
            return 0;
        } catch (IllegalArgumentException e) {
            err.println("DuckDbQuery: " + e.getMessage());
            return 1;
        } catch (SQLException e) {
            err.println("DuckDbQuery: query failed on " + file + ": " + firstLine(e.getMessage()));
            return 1;
        }
    }

    /**
     * Runs {@code sql} on the DuckDB database in {@code file}, opened read-only, and returns at most
     * {@code maxRows} rows.
     *
     * @throws IllegalArgumentException when the file does not exist (DuckDB would silently create it)
     * @throws SQLException             when DuckDB rejects the query or cannot open the file
     */
    public static TextTable query(Path file, String sql, int maxRows) throws SQLException {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("no DuckDB file at " + file.toAbsolutePath()
                    + ": check the path (has the pipeline run yet?)");
        }
        Properties properties = new Properties();
        properties.setProperty("duckdb.read_only", "true");
        try (Connection connection = DuckDbNative.connect("jdbc:duckdb:" + file.toAbsolutePath(), properties);
             Statement statement = connection.createStatement()) {
            if (!statement.execute(sql)) {
                return new TextTable(List.of("result"), List.of(false),
                        List.of(List.of("statement executed, " + statement.getUpdateCount() + " rows affected")));
            }
            try (ResultSet resultSet = statement.getResultSet()) {
                return read(resultSet, maxRows);
            }
        }
    }

    private static TextTable read(ResultSet resultSet, int maxRows) throws SQLException {
        ResultSetMetaData meta = resultSet.getMetaData();
        List<String> columns = new ArrayList<>();
        List<Boolean> numeric = new ArrayList<>();
        for (int i = 1; i <= meta.getColumnCount(); i++) {
            columns.add(meta.getColumnLabel(i));
            numeric.add(NUMERIC_TYPES.contains(meta.getColumnType(i)));
        }
        List<List<String>> rows = new ArrayList<>();
        while (rows.size() < maxRows && resultSet.next()) {
            List<String> row = new ArrayList<>(columns.size());
            for (int i = 1; i <= columns.size(); i++) {
                row.add(resultSet.getString(i));
            }
            rows.add(row);
        }
        return new TextTable(columns, numeric, rows);
    }

    private static void printAligned(TextTable table, PrintStream out) {
        if (table.rows().size() <= MAX_ALIGNED_ROWS) {
            out.print(table.aligned());
            return;
        }
        out.print(new TextTable(table.columns(), table.numeric(), table.rows().subList(0, MAX_ALIGNED_ROWS)).aligned());
        out.println("(stopped after " + MAX_ALIGNED_ROWS + " rows: add a LIMIT, or use --tsv for everything)");
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "(no message)";
        }
        String trimmed = message.strip();
        int newline = trimmed.indexOf('\n');
        return newline < 0 ? trimmed : trimmed.substring(0, newline);
    }
}
