package io.pgingest.state;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;

/**
 * A {@link StateStore} in a JDBC database: an H2 file by default
 * ({@code jdbc:h2:file:./data/pg-ingest-state}), PostgreSQL in production (schema
 * {@code pgingest_state}). Tables are created when missing. Thread-safe.
 *
 * <p>One connection, used under this object's lock, in autocommit mode. State writes are small
 * and happen once per batch, so a pool would buy nothing but a dependency, and an H2 file can
 * only be opened by one process anyway. A connection that failed is dropped and re-opened on the
 * next call; the failed call is not retried here, because a write whose commit was lost in
 * transit cannot be told apart from one that never ran (the route's retry decides).
 *
 * <p>Upserts are "update, else insert, and if another writer inserted first, update again":
 * each statement commits on its own and an UPDATE that adds a delta is atomic under the row
 * lock, so {@link #addCounters} adds each delta exactly once even when several processes share
 * a PostgreSQL state store. Unlike {@code MERGE}, this never fails on a concurrent first insert.
 */
public final class JdbcStateStore implements StateStore {

    private static final String UNIQUE_VIOLATION = "23505";

    private final String url;
    private final Properties credentials;
    private final StateTables tables;
    private Connection connection;
    private boolean closed;

    private JdbcStateStore(String url, Properties credentials, Connection connection, StateTables tables) {
        this.url = url;
        this.credentials = credentials;
        this.connection = connection;
        this.tables = tables;
    }

    /**
     * The state store's URL as pg-ingest connects to it. An H2 file database gets, unless the URL sets them:
     * <ul>
     * <li>{@code MAX_COMPACT_TIME=0}: H2 otherwise spends up to 200 ms compacting the file whenever the database
     *     closes, a sixth of an {@code --once} run with nothing to do (1.2 s); the store is small and H2 reuses its
     *     free space;</li>
     * <li>{@code DB_CLOSE_ON_EXIT=FALSE}: H2 otherwise closes the database from a JVM shutdown hook of its own, which
     *     on a stop by signal can run before the pipeline's last saves (seen: "Database is already closed" for the
     *     final offsets and object states). pg-ingest closes the store itself when Camel stops.</li>
     * </ul>
     * Every connection of one process should use the same URL: pg-ingest's own do (the state store's, Debezium's
     * offsets').
     */
    public static String connectionUrl(String url) {
        if (!url.startsWith("jdbc:h2:") || url.startsWith("jdbc:h2:mem:")) {
            return url;
        }
        String upper = url.toUpperCase(Locale.ROOT);
        StringBuilder out = new StringBuilder(url);
        if (!upper.contains("MAX_COMPACT_TIME")) {
            out.append(";MAX_COMPACT_TIME=0");
        }
        if (!upper.contains("DB_CLOSE_ON_EXIT")) {
            out.append(";DB_CLOSE_ON_EXIT=FALSE");
        }
        return out.toString();
    }

    /**
     * Connects to the database and creates the state tables when missing.
     *
     * @throws StateStoreException when the database cannot be reached or the tables cannot be created
     */
    public static JdbcStateStore open(String jdbcUrl, String user, String password) {
        Objects.requireNonNull(jdbcUrl, "jdbcUrl");
        Properties credentials = new Properties();
        if (user != null) {
            credentials.setProperty("user", user);
        }
        if (password != null) {
            credentials.setProperty("password", password);
        }
        Connection c = null;
        try {
            c = DriverManager.getConnection(jdbcUrl, credentials);
            StateTables tables = StateTables.of(c, jdbcUrl);
            createTables(c, tables);
            return new JdbcStateStore(jdbcUrl, credentials, c, tables);
        } catch (SQLException | RuntimeException e) {
            closeQuietly(c);
            if (e instanceof StateStoreException s) {
                throw s;
            }
            throw new StateStoreException("cannot open state store " + jdbcUrl + ": " + e.getMessage()
                    + " (check the state store URL, user and password in config/application.properties)", e);
        }
    }

    // Two instances starting at once can both try CREATE TABLE IF NOT EXISTS on PostgreSQL; the loser
    // gets a unique violation on the catalog and simply finds the tables on its second attempt.
    private static void createTables(Connection c, StateTables tables) throws SQLException {
        try {
            tables.create(c);
        } catch (SQLException e) {
            if (!UNIQUE_VIOLATION.equals(e.getSQLState())) {
                throw e;
            }
            tables.create(c);
        }
    }

    @Override
    public Optional<String> cursor(String pipeline, String object) {
        return call("read cursor of " + object, c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT cursor FROM " + tables.cursor + " WHERE pipeline = ? AND object = ?")) {
                ps.setString(1, pipeline);
                ps.setString(2, object);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.ofNullable(rs.getString(1)) : Optional.<String>empty();
                }
            }
        });
    }

    @Override
    public void saveCursor(String pipeline, String object, String cursor) {
        OffsetDateTime now = now();
        call("save cursor of " + object, c -> {
            upsert(c, new Sql("UPDATE " + tables.cursor + " SET cursor = ?, updated_at = ?"
                            + " WHERE pipeline = ? AND object = ?", cursor, now, pipeline, object),
                    new Sql("INSERT INTO " + tables.cursor + " (pipeline, object, cursor, updated_at)"
                            + " VALUES (?, ?, ?, ?)", pipeline, object, cursor, now));
            return null;
        });
    }

    @Override
    public void deleteCursor(String pipeline, String object) {
        call("delete cursor of " + object, c -> new Sql("DELETE FROM " + tables.cursor
                + " WHERE pipeline = ? AND object = ?", pipeline, object).update(c));
    }

    @Override
    public List<ObjectRecord> objects(String pipeline) {
        List<ObjectRecord> records = call("read objects", c -> readObjects(c, "pipeline = ?", pipeline));
        // Sorted here, not in SQL: H2 and PostgreSQL collations order names differently.
        records.sort(Comparator.comparing(ObjectRecord::object));
        return records;
    }

    @Override
    public Optional<ObjectRecord> object(String pipeline, String object) {
        return call("read object " + object,
                c -> readObjects(c, "pipeline = ? AND object = ?", pipeline, object).stream().findFirst());
    }

    @Override
    public void saveObject(ObjectRecord r) {
        OffsetDateTime at = r.updatedAt() == null ? now() : r.updatedAt().atOffset(ZoneOffset.UTC);
        String status = r.status().name();
        String progress = r.progress().name();
        call("save object " + r.object(), c -> {
            upsert(c, new Sql("UPDATE " + tables.object + " SET table_oid = ?, status = ?, progress = ?,"
                            + " query_mode = ?, message = ?, updated_at = ? WHERE pipeline = ? AND object = ?",
                            r.tableOid(), status, progress, r.queryMode(), r.message(), at, r.pipeline(), r.object()),
                    new Sql("INSERT INTO " + tables.object + " (pipeline, object, table_oid, status, progress,"
                            + " query_mode, message, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                            r.pipeline(), r.object(), r.tableOid(), status, progress, r.queryMode(), r.message(), at));
            return null;
        });
    }

    @Override
    public void savePipeline(PipelineRecord r) {
        OffsetDateTime at = r.updatedAt() == null ? now() : r.updatedAt().atOffset(ZoneOffset.UTC);
        call("save pipeline " + r.pipeline(), c -> {
            upsert(c, new Sql("UPDATE " + tables.pipeline + " SET wal_retained_bytes = ?, message = ?, updated_at = ?"
                            + " WHERE pipeline = ?", r.walRetainedBytes(), r.message(), at, r.pipeline()),
                    new Sql("INSERT INTO " + tables.pipeline + " (pipeline, wal_retained_bytes, message, updated_at)"
                            + " VALUES (?, ?, ?, ?)", r.pipeline(), r.walRetainedBytes(), r.message(), at));
            return null;
        });
    }

    @Override
    public Optional<PipelineRecord> pipeline(String pipeline) {
        return call("read pipeline " + pipeline, c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT wal_retained_bytes, message, updated_at FROM "
                    + tables.pipeline + " WHERE pipeline = ?")) {
                ps.setString(1, pipeline);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return Optional.<PipelineRecord>empty();
                    }
                    long bytes = rs.getLong(1);
                    Long retained = rs.wasNull() ? null : bytes;
                    return Optional.of(new PipelineRecord(pipeline, retained, rs.getString(2),
                            rs.getObject(3, OffsetDateTime.class).toInstant()));
                }
            }
        });
    }

    @Override
    public List<String> pipelines() {
        List<String> names = call("list pipelines", c -> {
            List<String> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT pipeline FROM " + tables.object + " UNION SELECT pipeline FROM "
                    + tables.cursor + " UNION SELECT pipeline FROM " + tables.pipeline); ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
            return out;
        });
        names.sort(null);
        return names;
    }

    /** One transaction: a delete that fails half-way leaves the pipeline's state as it was. */
    @Override
    public Removed deletePipeline(String pipeline) {
        return call("delete the state of pipeline " + pipeline, c -> {
            c.setAutoCommit(false);
            try {
                int objects = new Sql("DELETE FROM " + tables.object + " WHERE pipeline = ?", pipeline).update(c);
                int cursors = new Sql("DELETE FROM " + tables.cursor + " WHERE pipeline = ?", pipeline).update(c);
                int record = new Sql("DELETE FROM " + tables.pipeline + " WHERE pipeline = ?", pipeline).update(c);
                c.commit();
                return new Removed(objects, cursors, record > 0);
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        });
    }

    @Override
    public void addCounters(String pipeline, String object, LocalDate day, Counters d) {
        call("add counters of " + object, c -> {
            upsert(c, new Sql("UPDATE " + tables.counter + " SET ingested = ingested + ?, loaded = loaded + ?,"
                            + " failed = failed + ?, billable = billable + ?"
                            + " WHERE pipeline = ? AND object = ? AND \"day\" = ?",
                            d.ingested(), d.loaded(), d.failed(), d.billable(), pipeline, object, day),
                    new Sql("INSERT INTO " + tables.counter + " (pipeline, object, \"day\", ingested, loaded,"
                            + " failed, billable) VALUES (?, ?, ?, ?, ?, ?, ?)",
                            pipeline, object, day, d.ingested(), d.loaded(), d.failed(), d.billable()));
            return null;
        });
    }

    @Override
    public List<CounterRow> counters(String pipeline) {
        List<CounterRow> rows = call("read counters", c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT object, \"day\", ingested, loaded, failed, billable"
                    + " FROM " + tables.counter + " WHERE pipeline = ?")) {
                ps.setString(1, pipeline);
                List<CounterRow> out = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new CounterRow(pipeline, rs.getString(1), rs.getObject(2, LocalDate.class),
                                new Counters(rs.getLong(3), rs.getLong(4), rs.getLong(5), rs.getLong(6))));
                    }
                }
                return out;
            }
        });
        rows.sort(Comparator.comparing(CounterRow::day).thenComparing(CounterRow::object));
        return rows;
    }

    @Override
    public synchronized void close() {
        closed = true;
        closeQuietly(connection);
        connection = null;
    }

    @Override
    public String toString() {
        return "JdbcStateStore[" + url + "]";
    }

    private List<ObjectRecord> readObjects(Connection c, String where, String... args) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT pipeline, object, table_oid, status, progress,"
                + " query_mode, message, updated_at FROM " + tables.object + " WHERE " + where)) {
            for (int i = 0; i < args.length; i++) {
                ps.setString(i + 1, args[i]);
            }
            List<ObjectRecord> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new ObjectRecord(rs.getString(1), rs.getString(2), rs.getLong(3),
                            ObjectStatus.valueOf(rs.getString(4)), ObjectProgress.valueOf(rs.getString(5)),
                            rs.getString(6), rs.getString(7), rs.getObject(8, OffsetDateTime.class).toInstant()));
                }
            }
            return out;
        }
    }

    private static void upsert(Connection c, Sql update, Sql insert) throws SQLException {
        if (update.update(c) > 0) {
            return;
        }
        try {
            insert.update(c);
        } catch (SQLException e) {
            // Another writer inserted the row between our UPDATE and INSERT: apply ours on top of it.
            if (!UNIQUE_VIOLATION.equals(e.getSQLState()) || update.update(c) == 0) {
                throw e;
            }
        }
    }

    private synchronized <T> T call(String operation, SqlWork<T> work) {
        if (closed) {
            throw new IllegalStateException("state store " + url + " is closed; cannot " + operation);
        }
        try {
            if (connection == null) {
                connection = DriverManager.getConnection(url, credentials);
            }
            return work.run(connection);
        } catch (SQLException e) {
            dropBrokenConnection();
            if (connection == null && connectionLost(e)) {
                // a connection the server closed since its last use (a restart of a PostgreSQL state store): the
                // statement did not run; once more on a new connection
                try {
                    connection = DriverManager.getConnection(url, credentials);
                    return work.run(connection);
                } catch (SQLException again) {
                    dropBrokenConnection();
                    again.addSuppressed(e);
                    throw new StateStoreException("state store " + url + ": cannot " + operation + ": " + again.getMessage(), again);
                }
            }
            throw new StateStoreException("state store " + url + ": cannot " + operation + ": " + e.getMessage(), e);
        }
    }

    /** Whether the error says the connection was lost or closed by the server (SQLSTATE class 08, or 57P01-57P03). */
    static boolean connectionLost(SQLException e) {
        String state = e.getSQLState();
        return state != null && (state.startsWith("08") || state.equals("57P01") || state.equals("57P02") || state.equals("57P03"));
    }

    private void dropBrokenConnection() {
        try {
            if (connection != null && !connection.isValid(2)) {
                closeQuietly(connection);
                connection = null;
            }
        } catch (SQLException e) {
            closeQuietly(connection);
            connection = null;
        }
    }

    private static OffsetDateTime now() {
        return Instant.now().atOffset(ZoneOffset.UTC);
    }

    private static void closeQuietly(Connection c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (SQLException ignored) {
            // Closing after a failure: the original error is what matters.
        }
    }

    @FunctionalInterface
    private interface SqlWork<T> {
        T run(Connection c) throws SQLException;
    }

    /** One parameterised statement. */
    private record Sql(String sql, Object... args) {
        int update(Connection c) throws SQLException {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                for (int i = 0; i < args.length; i++) {
                    ps.setObject(i + 1, args[i]);
                }
                return ps.executeUpdate();
            }
        }
    }
}
