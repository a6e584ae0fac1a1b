package io.pgingest.source.logical;

import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.runtime.WorkerConfig;
import org.apache.kafka.connect.storage.MemoryOffsetBackingStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.regex.Pattern;

/**
 * A Kafka Connect offset store that keeps one pipeline's Debezium offsets in a table of the
 * pg-ingest state database ({@code offset_key VARCHAR PRIMARY KEY, offset_val TEXT}, UTF-8 JSON
 * text as the engine's converter wrote it): in schema {@code pgingest_state} on PostgreSQL, in the
 * default schema of an H2 file. The table is created when missing and read once at start (without the
 * key that would make Debezium search the WAL for its resume position, see {@link #withoutResumeSearch}); every
 * {@link #save()} (the engine commits offsets at most once a second, see {@link DebeziumProperties}) replaces its rows in one
 * transaction. Configured through the engine properties {@link #URL}, {@link #USER},
 * {@link #PASSWORD} and {@link #TABLE}; the password is never logged nor put in a message.
 */
public final class StateStoreOffsetBackingStore extends MemoryOffsetBackingStore {

    /** JDBC URL of the state database (required). */
    public static final String URL = "offset.storage.pgingest.url";
    /** User of the state database (may be empty). */
    public static final String USER = "offset.storage.pgingest.user";
    /** Password of the state database (may be empty, as for the default H2 file); masked by Debezium's logs. */
    public static final String PASSWORD = "offset.storage.pgingest.password";
    /** Table name, {@code [a-z0-9_]}, at most 63 characters (required); see {@link ReplicationNames#offsetTable}. */
    public static final String TABLE = "offset.storage.pgingest.table";

    static final String POSTGRES_SCHEMA = "pgingest_state";
    private static final Logger LOG = LoggerFactory.getLogger(StateStoreOffsetBackingStore.class);
    private static final Pattern TABLE_NAME = Pattern.compile("[a-z0-9_]{1,63}");
    private static final Pattern PASSWORD_IN_URL = Pattern.compile("(?i)(password=)[^&;]*");
    private static final String UNIQUE_VIOLATION = "23505";
    /** Debezium's "last completely processed LSN"; its presence makes the connector search the WAL at start. */
    static final String RESUME_SEARCH_KEY = "lsn_proc";

    private String url;
    private String table;
    private final Properties credentials = new Properties();
    /** Used by the executor's single thread, and by start/stop, which do not overlap with it. */
    private volatile Connection connection;
    private volatile String qualifiedTable;

    /** Called by the engine through reflection. */
    public StateStoreOffsetBackingStore() {
    }

    /** Adds this store and its settings to Debezium engine properties. */
    static void configure(Properties engine, StateDatabase state, String table) {
        engine.setProperty("offset.storage", StateStoreOffsetBackingStore.class.getName());
        engine.setProperty(URL, state.url());
        engine.setProperty(USER, state.user() == null ? "" : state.user());
        engine.setProperty(PASSWORD, state.password() == null ? "" : state.password());
        engine.setProperty(TABLE, table);
    }

    /**
     * Drops a pipeline's offset table from the state database (the "delete pipeline" operation); returns whether it
     * existed. The next engine of that pipeline name starts without offsets.
     */
    public static boolean dropTable(StateDatabase state, String table) throws SQLException {
        if (!TABLE_NAME.matcher(table).matches()) {
            throw new IllegalArgumentException("not an offset table name: " + table);
        }
        Properties credentials = new Properties();
        credentials.setProperty("user", state.user() == null ? "" : state.user());
        credentials.setProperty("password", state.password() == null ? "" : state.password());
        try (Connection c = DriverManager.getConnection(state.url(), credentials)) {
            String product = c.getMetaData().getDatabaseProductName().toLowerCase(Locale.ROOT);
            boolean postgres = product.contains("postgresql");
            // H2 folds unquoted names to upper case, PostgreSQL to lower case
            String schema = postgres ? POSTGRES_SCHEMA : null;
            String stored = postgres ? table : table.toUpperCase(Locale.ROOT);
            boolean existed;
            try (ResultSet rs = c.getMetaData().getTables(null, schema, stored, new String[] {"TABLE"})) {
                existed = false;
                while (rs.next()) {
                    existed |= stored.equals(rs.getString("TABLE_NAME"));
                }
            }
            if (existed) {
                try (Statement s = c.createStatement()) {
                    s.execute("DROP TABLE IF EXISTS " + (postgres ? POSTGRES_SCHEMA + "." : "") + table);
                }
            }
            return existed;
        }
    }

    @Override
    public void configure(WorkerConfig config) {
        super.configure(config);
        configure(config.originalsStrings());
    }

    /** Reads the settings from the engine's properties; unknown keys are ignored. */
    void configure(Map<String, String> config) {
        url = required(config, URL);
        table = required(config, TABLE);
        if (!TABLE_NAME.matcher(table).matches()) {
            throw new ConfigException(TABLE, table, "the offset table name must be 1 to 63 characters [a-z0-9_]");
        }
        credentials.clear();
        credentials.setProperty("user", config.getOrDefault(USER, ""));
        credentials.setProperty("password", config.getOrDefault(PASSWORD, ""));
    }

    private static String required(Map<String, String> config, String key) {
        String value = config.get(key);
        if (value == null || value.isBlank()) {
            throw new ConfigException("missing Debezium engine property " + key + " (set by pg-ingest's DebeziumProperties)");
        }
        return value.strip();
    }

    @Override
    public synchronized void start() {
        super.start();
        try {
            Connection c = connection();
            load(c);
            LOG.info("Debezium offsets in table {} of the state database {} ({} entries)", qualifiedTable, safeUrl(),
                    data.size());
        } catch (SQLException e) {
            closeConnection();
            throw new ConnectException(failure("cannot read the offsets", e), e);
        }
    }

    @Override
    public synchronized void stop() {
        // The executor finishes a save in progress before the connection goes.
        super.stop();
        closeConnection();
    }

    /** Replaces the table's rows with the offsets in memory, in one transaction (runs on the executor). */
    @Override
    protected void save() {
        try {
            Connection c = connection();
            try {
                write(c);
                c.commit();
            } catch (SQLException | RuntimeException e) {
                rollback(c, e);
                throw e;
            }
        } catch (SQLException e) {
            // The engine logs the failed flush and does not acknowledge the batch: the next commit writes everything again.
            closeConnection();
            throw new ConnectException(failure("cannot save the offsets", e), e);
        }
    }

    private void write(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.executeUpdate("DELETE FROM " + qualifiedTable);
        }
        try (PreparedStatement ps = c.prepareStatement(
                "INSERT INTO " + qualifiedTable + " (offset_key, offset_val) VALUES (?, ?)")) {
            for (Map.Entry<ByteBuffer, ByteBuffer> e : data.entrySet()) {
                ps.setString(1, text(e.getKey()));
                ps.setString(2, text(e.getValue()));
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    private void load(Connection c) throws SQLException {
        Map<ByteBuffer, ByteBuffer> rows = new HashMap<>();
        try (Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT offset_key, offset_val FROM " + qualifiedTable)) {
            while (rs.next()) {
                rows.put(bytes(rs.getString(1)), bytes(withoutResumeSearch(rs.getString(2))));
            }
        }
        c.commit();
        data.clear();
        data.putAll(rows);
    }

    /**
     * The offset without {@link #RESUME_SEARCH_KEY}. With it, Debezium's PostgreSQL connector starts every run with
     * a "WAL resume position" search: it reads the stream until the first transaction after the stored position has
     * been received whole, then reconnects and has the server decode that transaction again, only to skip changes it
     * had already emitted. For a large transaction that doubles the work (a 1M-row update: seconds of decoding on both
     * sides). Without the key the stream starts at the stored {@code lsn}; a transaction that was only partly written
     * before the stop is replayed whole, which pg-ingest's writers absorb (upserts by key, guarded by position).
     */
    static String withoutResumeSearch(String offset) {
        if (offset == null || !offset.contains("\"" + RESUME_SEARCH_KEY + "\"")) {
            return offset;
        }
        try (JsonConverter json = new JsonConverter()) {
            json.configure(Map.of("schemas.enable", "false"), false);
            SchemaAndValue parsed = json.toConnectData("", offset.getBytes(StandardCharsets.UTF_8));
            if (!(parsed.value() instanceof Map<?, ?> map)) {
                return offset;
            }
            Map<Object, Object> copy = new java.util.LinkedHashMap<>(map);
            copy.remove(RESUME_SEARCH_KEY);
            return new String(json.fromConnectData("", null, copy), StandardCharsets.UTF_8);
        }
    }

    /** The open connection, or a new one with the table created when missing. */
    private Connection connection() throws SQLException {
        if (connection != null) {
            return connection;
        }
        if (url == null) {
            throw new IllegalStateException("the offset store was started before configure()");
        }
        Connection c = DriverManager.getConnection(url, credentials);
        try {
            c.setAutoCommit(false);
            qualifiedTable = qualify(c);
            createTable(c);
        } catch (SQLException | RuntimeException e) {
            close(c);
            throw e;
        }
        connection = c;
        return c;
    }

    private String qualify(Connection c) throws SQLException {
        String product = c.getMetaData().getDatabaseProductName().toLowerCase(Locale.ROOT);
        if (product.contains("postgresql")) {
            return POSTGRES_SCHEMA + "." + table;
        }
        if (product.contains("h2")) {
            return table;
        }
        throw new ConnectException("the state database " + safeUrl() + " is a " + product
                + " database; use PostgreSQL or an H2 file (jdbc:h2:file:...) for pgingest.state.url");
    }

    // Two pipelines starting at once on PostgreSQL may race on CREATE ... IF NOT EXISTS; the loser retries once.
    private void createTable(Connection c) throws SQLException {
        try {
            createTableOnce(c);
        } catch (SQLException e) {
            c.rollback();
            if (!UNIQUE_VIOLATION.equals(e.getSQLState())) {
                throw e;
            }
            createTableOnce(c);
        }
    }

    private void createTableOnce(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            if (qualifiedTable.startsWith(POSTGRES_SCHEMA + ".")) {
                s.execute("CREATE SCHEMA IF NOT EXISTS " + POSTGRES_SCHEMA);
            }
            s.execute("CREATE TABLE IF NOT EXISTS " + qualifiedTable
                    + " (offset_key VARCHAR(2048) NOT NULL PRIMARY KEY, offset_val TEXT)");
        }
        c.commit();
    }

    /**
     * The partitions of a connector, decoded from the keys ({@code ["<connector>", {partition}]}, the JSON
     * Kafka Connect's offset writer produces); read on the executor, which owns {@link #data}.
     */
    @Override
    public Set<Map<String, Object>> connectorPartitions(String connectorName) {
        if (executor == null) {
            return partitions(connectorName);
        }
        try {
            return executor.submit(() -> partitions(connectorName)).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ConnectException("interrupted while reading the offsets' partitions", e);
        } catch (ExecutionException e) {
            throw new ConnectException("cannot read the offsets' partitions: " + e.getCause().getMessage(), e.getCause());
        }
    }

    @SuppressWarnings("unchecked")
    private Set<Map<String, Object>> partitions(String connectorName) {
        try (JsonConverter json = new JsonConverter()) {
            json.configure(Map.of("schemas.enable", "false"), true);
            Set<Map<String, Object>> out = new HashSet<>();
            for (ByteBuffer key : data.keySet()) {
                byte[] raw = new byte[key.remaining()];
                key.duplicate().get(raw);
                SchemaAndValue parsed = json.toConnectData("", raw);
                if (parsed.value() instanceof List<?> l && l.size() == 2 && connectorName.equals(l.get(0))
                        && l.get(1) instanceof Map<?, ?> partition) {
                    out.add((Map<String, Object>) partition);
                }
            }
            return out;
        }
    }

    /** The bytes as UTF-8 text; anything else is refused rather than stored damaged. */
    static String text(ByteBuffer buffer) {
        if (buffer == null) {
            return null;
        }
        try {
            CharBuffer chars = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(buffer.duplicate());
            return chars.toString();
        } catch (CharacterCodingException e) {
            throw new ConnectException("a Debezium offset is not UTF-8 text (the engine's offset converter must be JSON);"
                    + " it cannot be stored in the offset table", e);
        }
    }

    static ByteBuffer bytes(String text) {
        return text == null ? null : ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
    }

    private String failure(String what, SQLException e) {
        return what + " in table " + (qualifiedTable == null ? table : qualifiedTable) + " of the state database "
                + safeUrl() + ": " + e.getMessage() + " (check pgingest.state.url, user and password)";
    }

    /** The URL without a password parameter, for messages. */
    String safeUrl() {
        return url == null ? "(not configured)" : PASSWORD_IN_URL.matcher(url).replaceAll("$1***");
    }

    private static void rollback(Connection c, Exception cause) {
        try {
            c.rollback();
        } catch (SQLException e) {
            cause.addSuppressed(e);
        }
    }

    private void closeConnection() {
        close(connection);
        connection = null;
    }

    private static void close(Connection c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (SQLException ignored) {
            // Closing after a failure or at stop: nothing left to protect.
        }
    }
}
