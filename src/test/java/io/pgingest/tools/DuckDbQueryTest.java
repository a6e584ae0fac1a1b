package io.pgingest.tools;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class DuckDbQueryTest {

    @TempDir
    Path dir;
    Path file;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @BeforeEach
    void createDatabase() throws Exception {
        file = dir.resolve("sample.duckdb");
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:" + file);
             Statement s = c.createStatement()) {
            s.execute("CREATE TABLE customers (id INTEGER, name VARCHAR, balance DECIMAL(12,2))");
            s.execute("INSERT INTO customers VALUES (1, 'Ada', 10.50), (2, NULL, 1234.00), (3, 'Grace', NULL)");
        }
    }

    private int run(String... args) {
        return DuckDbQuery.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void printsTheResultAsAnAlignedTableWithRowCount() {
        int exit = run(file.toString(), "SELECT id, name, balance FROM customers ORDER BY id");

        assertThat(exit).as("a successful query exits 0; stderr: %s", err()).isZero();
        assertThat(out()).as("header, separator, rows with numbers right-aligned and NULL shown, footer")
                .isEqualTo("""
                         id | name  | balance
                        ----+-------+---------
                          1 | Ada   |   10.50
                          2 | NULL  | 1234.00
                          3 | Grace |    NULL
                        (3 rows)
                        """);
    }

    @Test
    void tsvOptionPrintsRowsWithoutHeaderForScripts() {
        int exit = run("--tsv", file.toString(), "SELECT id, name FROM customers ORDER BY id");

        assertThat(exit).as("stderr: %s", err()).isZero();
        assertThat(out()).as("tab-separated, NULL as empty cell, no header or footer").isEqualTo("1\tAda\n2\t\n3\tGrace\n");
    }

    @Test
    void opensTheFileReadOnlySoWritesAreRejected() throws Exception {
        int exit = run(file.toString(), "DELETE FROM customers");

        assertThat(exit).as("a write must fail on a read-only connection").isEqualTo(1);
        assertThat(err()).as("the error names the file and DuckDB's reason").contains(file.toString()).containsIgnoringCase("read-only");
        assertThat(DuckDbQuery.query(file, "SELECT count(*) FROM customers", 10).rows())
                .as("the rows are still there").containsExactly(List.of("3"));
    }

    @Test
    void missingFileFailsWithClearMessageAndIsNotCreated() {
        Path missing = dir.resolve("nope.duckdb");

        int exit = run(missing.toString(), "SELECT 1");

        assertThat(exit).isEqualTo(1);
        assertThat(err()).as("the message says which file is missing").contains("no DuckDB file at").contains("nope.duckdb");
        assertThat(Files.exists(missing)).as("a typo must not leave an empty database behind").isFalse();
    }

    @Test
    void invalidSqlFailsWithDuckDbMessageOnOneLine() {
        int exit = run(file.toString(), "SELECT * FROM no_such_table");

        assertThat(exit).isEqualTo(1);
        assertThat(err()).as("DuckDB's reason is reported").contains("query failed on").contains("no_such_table");
        assertThat(err().strip().lines().count()).as("one line, easy to read in a script's output").isEqualTo(1);
        assertThat(out()).as("nothing on stdout on failure").isEmpty();
    }

    @Test
    void wrongArgumentsPrintUsageAndExitTwo() {
        assertThat(run(file.toString())).isEqualTo(2);
        assertThat(err()).startsWith("usage:");
    }

    @Test
    void alignedFormShortensLongCellsAndEscapesNewlines() {
        TextTable table = new TextTable(List.of("doc"), List.of(false),
                List.of(List.of("x".repeat(100)), List.of("two\nlines")));

        String text = table.aligned();

        assertThat(text).as("long values are cut to keep the table readable")
                .contains("x".repeat(TextTable.MAX_CELL_WIDTH - 3) + "...")
                .doesNotContain("x".repeat(TextTable.MAX_CELL_WIDTH - 2));
        assertThat(text).as("a newline inside a value must not break the row").contains("two\\nlines");
        assertThat(text).endsWith("(2 rows)\n");
    }

    @Test
    void singleRowFooterIsSingular() {
        TextTable table = new TextTable(List.of("n"), List.of(true), List.of(List.of("42")));

        assertThat(table.aligned()).isEqualTo(" n\n----\n 42\n(1 row)\n");
    }
}
