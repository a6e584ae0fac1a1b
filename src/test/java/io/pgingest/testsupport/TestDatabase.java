package io.pgingest.testsupport;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.UUID;

/**
 * A fresh PostgreSQL database for one test class, on the server named by the {@code PGHOST},
 * {@code PGPORT}, {@code PGUSER} and {@code PGPASSWORD} environment variables (defaults:
 * 127.0.0.1, 5432, postgres, no password). {@link #close()} drops the database.
 */
public final class TestDatabase implements AutoCloseable {

    public static final String HOST = env("PGHOST", "127.0.0.1");
    public static final int PORT = Integer.parseInt(env("PGPORT", "5432"));
    public static final String USER = env("PGUSER", "postgres");
    public static final String PASSWORD = env("PGPASSWORD", "");

    private final String name;

    private TestDatabase(String name) {
        this.name = name;
    }

    /** Creates a database named {@code pgingest_it_<prefix>_<random>}. */
    public static TestDatabase create(String prefix) {
        String name = ("pgingest_it_" + prefix + "_" + UUID.randomUUID().toString().substring(0, 8))
                .toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
        try (Connection c = DriverManager.getConnection(url("postgres"), USER, PASSWORD);
             Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create test database " + name + " on " + HOST + ":" + PORT
                    + " (run scripts/setup-postgres.sh): " + e.getMessage(), e);
        }
        return new TestDatabase(name);
    }

    public static String url(String database) {
        return "jdbc:postgresql://" + HOST + ":" + PORT + "/" + database;
    }

    public String name() {
        return name;
    }

    /**
     * The last 8 letters and digits of the database's name, unique per test: for pipeline names, whose slots and
     * publications are per server, so that concurrent test runs stay apart.
     */
    public String suffix() {
        String unique = name.replaceAll("[^a-z0-9]", "");
        return unique.substring(Math.max(0, unique.length() - 8));
    }

    public String url() {
        return url(name);
    }

    public Connection connect() throws SQLException {
        return DriverManager.getConnection(url(), USER, PASSWORD);
    }

    /** Runs statements in autocommit mode. */
    public void execute(String... sql) {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            for (String statement : sql) {
                s.execute(statement);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        try (Connection c = DriverManager.getConnection(url("postgres"), USER, PASSWORD);
             Statement s = c.createStatement()) {
            s.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
        } catch (SQLException e) {
            throw new IllegalStateException("cannot drop test database " + name + ": " + e.getMessage(), e);
        }
    }

    private static String env(String key, String fallback) {
        String v = System.getenv(key);
        return v == null || v.isBlank() ? fallback : v;
    }
}
