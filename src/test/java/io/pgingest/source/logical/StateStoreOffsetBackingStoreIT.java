package io.pgingest.source.logical;

import io.debezium.embedded.EmbeddedWorkerConfig;
import io.pgingest.pipeline.PipelineSettings;
import io.pgingest.testsupport.TestDatabase;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.connect.errors.ConnectException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The offset store alone, configured as the Debezium engine does it, against an H2 file and PostgreSQL. */
class StateStoreOffsetBackingStoreIT {

    enum Backend { H2, POSTGRES }

    private static final String KEY = "[\"pgingest_shop\",{\"server\":\"pgingest_shop\"}]";

    private static TestDatabase postgres;

    @TempDir
    static Path dir;

    @BeforeAll
    static void createDatabase() {
        postgres = TestDatabase.create("offsets");
    }

    @AfterAll
    static void dropDatabase() {
        postgres.close();
    }

    private static StateDatabase database(Backend backend) {
        return backend == Backend.H2 ? new StateDatabase("jdbc:h2:file:" + dir.resolve("state").toAbsolutePath(), "sa", "")
                : new StateDatabase(postgres.url(), TestDatabase.USER, TestDatabase.PASSWORD);
    }

    /** Each test has its own table, so tests share the databases without seeing each other. */
    private static String newTable() {
        return "pgingest_offsets_t" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    }

    /** A started store configured through the engine's worker config, with unrelated engine keys beside ours. */
    private static StateStoreOffsetBackingStore start(StateDatabase db, String table) {
        Properties engine = new Properties();
        engine.setProperty("name", "pgingest_shop");
        engine.setProperty("connector.class", "io.debezium.connector.postgresql.PostgresConnector");
        engine.setProperty("some.unknown.key", "tolerated");
        StateStoreOffsetBackingStore.configure(engine, db, table);
        Map<String, String> map = new HashMap<>();
        engine.stringPropertyNames().forEach(k -> map.put(k, engine.getProperty(k)));
        StateStoreOffsetBackingStore store = new StateStoreOffsetBackingStore();
        store.configure(new EmbeddedWorkerConfig(map));
        store.start();
        return store;
    }

    private static ByteBuffer buf(String text) {
        return text == null ? null : ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
    }

    private static String str(ByteBuffer b) {
        return b == null ? null : StandardCharsets.UTF_8.decode(b.duplicate()).toString();
    }

    private static void set(StateStoreOffsetBackingStore store, String key, String value) throws Exception {
        Map<ByteBuffer, ByteBuffer> values = new HashMap<>();
        values.put(buf(key), buf(value));
        store.set(values, null).get();
    }

    private static String read(StateStoreOffsetBackingStore store, String key) throws Exception {
        return str(store.get(List.of(buf(key))).get().get(buf(key)));
    }

    private static List<List<String>> rows(StateDatabase db, String qualifiedTable) throws SQLException {
        try (Connection c = DriverManager.getConnection(db.url(), db.user(), db.password());
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT offset_key, offset_val FROM " + qualifiedTable + " ORDER BY offset_key")) {
            List<List<String>> out = new ArrayList<>();
            while (rs.next()) {
                out.add(java.util.Arrays.asList(rs.getString(1), rs.getString(2)));
            }
            return out;
        }
    }

    private static String qualified(Backend backend, String table) {
        return backend == Backend.POSTGRES ? "pgingest_state." + table : table;
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void savedOffsetsAreReadBackByTheNextStore(Backend backend) throws Exception {
        StateDatabase db = database(backend);
        String table = newTable();
        StateStoreOffsetBackingStore first = start(db, table);
        assertThat(read(first, KEY)).as("a new table has no offset").isNull();
        set(first, KEY, "{\"lsn\":100,\"txId\":7}");
        set(first, KEY, "{\"lsn\":200,\"txId\":8}");
        first.stop();

        StateStoreOffsetBackingStore second = start(db, table);
        try {
            assertThat(read(second, KEY)).as("the last committed offset survives a restart")
                    .isEqualTo("{\"lsn\":200,\"txId\":8}");
            assertThat(second.connectorPartitions("pgingest_shop")).as("the partition decoded from the key")
                    .containsExactly(Map.of("server", "pgingest_shop"));
        } finally {
            second.stop();
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void theTableHoldsOneReadableRowPerKeyAfterEverySave(Backend backend) throws Exception {
        StateDatabase db = database(backend);
        String table = newTable();
        StateStoreOffsetBackingStore store = start(db, table);
        try {
            set(store, KEY, "{\"lsn\":1}");
            set(store, "[\"other\",{}]", "{\"lsn\":2}");
            set(store, KEY, "{\"lsn\":3}");
            assertThat(rows(db, qualified(backend, table))).as("one row per key, the JSON as plain text, the latest value")
                    .containsExactly(List.of("[\"other\",{}]", "{\"lsn\":2}"), List.of(KEY, "{\"lsn\":3}"));
            set(store, "[\"other\",{}]", null);
        } finally {
            store.stop();
        }
        StateStoreOffsetBackingStore reopened = start(db, table);
        try {
            assertThat(read(reopened, "[\"other\",{}]")).as("a removed offset stays removed").isNull();
            assertThat(read(reopened, KEY)).isEqualTo("{\"lsn\":3}");
        } finally {
            reopened.stop();
        }
    }

    @Test
    void offsetsAreReadBackWithoutTheKeyThatMakesDebeziumSearchTheWalAtStart() throws Exception {
        StateDatabase db = database(Backend.H2);
        String table = newTable();
        String saved = "{\"lsn_proc\":4157083400,\"messageType\":\"COMMIT\",\"lsn_commit\":4157083400,"
                + "\"lsn\":4157083400,\"txId\":343181,\"ts_usec\":1795485648029965}";
        StateStoreOffsetBackingStore first = start(db, table);
        set(first, KEY, saved);
        first.stop();
        assertThat(rows(db, table)).as("stored as the engine wrote it").containsExactly(List.of(KEY, saved));

        StateStoreOffsetBackingStore second = start(db, table);
        try {
            assertThat(read(second, KEY)).as("lsn_proc dropped; the stream starts at lsn, numbers stay numbers")
                    .isEqualTo("{\"messageType\":\"COMMIT\",\"lsn_commit\":4157083400,\"lsn\":4157083400,"
                            + "\"txId\":343181,\"ts_usec\":1795485648029965}");
        } finally {
            second.stop();
        }
        assertThat(StateStoreOffsetBackingStore.withoutResumeSearch("{\"lsn\":1,\"snapshot\":\"INITIAL\"}"))
                .as("an offset without the key is left as it is").isEqualTo("{\"lsn\":1,\"snapshot\":\"INITIAL\"}");
    }

    @Test
    void onPostgresqlTheTableIsInTheStateSchema() throws Exception {
        String table = newTable();
        start(database(Backend.POSTGRES), table).stop();
        try (Connection c = postgres.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT table_schema, data_type FROM information_schema.columns"
                     + " WHERE table_name = '" + table + "' AND column_name = 'offset_val'")) {
            assertThat(rs.next()).as("the offset table exists").isTrue();
            assertThat(rs.getString(1)).as("it lives beside the state store's tables").isEqualTo("pgingest_state");
            assertThat(rs.getString(2)).as("values are unbounded text").isEqualTo("text");
        }
    }

    @Test
    void aStartThatCannotConnectSaysWhereAndNeverShowsThePassword() {
        String url = "jdbc:h2:file:" + dir.resolve("secured").toAbsolutePath();
        try (Connection c = DriverManager.getConnection(url, "owner", "right-one")) {
            assertThat(c.isValid(1)).isTrue();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        StateDatabase wrong = new StateDatabase(url + ";PASSWORD=s3cret-in-url", "owner", "s3cret-wrong");
        String table = newTable();
        assertThatThrownBy(() -> start(wrong, table)).as("the wrong password is refused")
                .isInstanceOf(ConnectException.class)
                .hasMessageContaining(table).hasMessageContaining("secured")
                .hasMessageContaining("pgingest.state")
                .satisfies(e -> assertThat(e.getMessage()).as("no password in the message")
                        .doesNotContain("s3cret"));
    }

    @Test
    void aMissingOrUnsafeSettingIsRejectedNamingTheKey() {
        StateStoreOffsetBackingStore store = new StateStoreOffsetBackingStore();
        assertThatThrownBy(() -> store.configure(Map.of(StateStoreOffsetBackingStore.TABLE, "t")))
                .isInstanceOf(ConfigException.class).hasMessageContaining(StateStoreOffsetBackingStore.URL);
        assertThatThrownBy(() -> store.configure(Map.of(StateStoreOffsetBackingStore.URL, "jdbc:h2:mem:x",
                StateStoreOffsetBackingStore.TABLE, "t; DROP TABLE x")))
                .as("the table name goes into SQL, so it must be a plain identifier")
                .isInstanceOf(ConfigException.class).hasMessageContaining(StateStoreOffsetBackingStore.TABLE);
    }

    @Test
    void bytesThatAreNotUtf8AreRefusedRatherThanStoredDamaged() {
        ByteBuffer notUtf8 = ByteBuffer.wrap(new byte[] {(byte) 0xC3, (byte) 0x28});
        assertThatThrownBy(() -> StateStoreOffsetBackingStore.text(notUtf8)).isInstanceOf(ConnectException.class)
                .hasMessageContaining("UTF-8");
        assertThat(StateStoreOffsetBackingStore.text(buf("{\"é\":1}"))).isEqualTo("{\"é\":1}");
    }

    /** Issue 3, delete pipeline: the offset table goes with the pipeline, other tables stay. */
    @ParameterizedTest
    @EnumSource(Backend.class)
    void dropTableRemovesOnlyThatPipelinesOffsetTable(Backend backend) throws Exception {
        String table = newTable();
        String other = newTable();
        for (String t : List.of(table, other)) {
            start(database(backend), t).stop(); // creates the table
        }
        assertThat(StateStoreOffsetBackingStore.dropTable(database(backend), table)).as("the table existed").isTrue();
        assertThat(StateStoreOffsetBackingStore.dropTable(database(backend), table)).as("dropped: a second drop finds nothing")
                .isFalse();
        assertThat(StateStoreOffsetBackingStore.dropTable(database(backend), other)).as("the other table was kept").isTrue();
    }

    @Test
    void everyPipelineKeepsItsOffsetsInItsOwnStateTableAndNoFile() {
        PipelineSettings settings = PipelineSettings.parse("shop", Map.of("mode", "logical-replication",
                "host", "db.example.com", "database", "shop", "user", "reader", "password", "source-pw"));
        Properties p = DebeziumProperties.of(settings,
                new StateDatabase("jdbc:h2:file:/tmp/x", "sa", ""), true);
        assertThat(p.getProperty("offset.storage")).as("even with the default H2 store's empty password")
                .isEqualTo(StateStoreOffsetBackingStore.class.getName());
        assertThat(p.getProperty(StateStoreOffsetBackingStore.TABLE)).isEqualTo("pgingest_offsets_shop");
        assertThat(p.getProperty(StateStoreOffsetBackingStore.URL)).isEqualTo("jdbc:h2:file:/tmp/x");
        assertThat(p.getProperty("offset.flush.interval.ms")).as("offsets saved at most once a second (and at stop)")
                .isEqualTo("1000");
        assertThat(p.stringPropertyNames()).as("no file offset store any more")
                .noneMatch(k -> k.startsWith("offset.storage.file") || k.startsWith("offset.storage.jdbc"));
    }
}
