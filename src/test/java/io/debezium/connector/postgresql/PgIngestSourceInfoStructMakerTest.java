package io.debezium.connector.postgresql;

import io.debezium.config.Configuration;
import io.debezium.connector.SnapshotRecord;
import io.debezium.connector.postgresql.connection.Lsn;
import io.debezium.connector.postgresql.connection.ReplicationMessage;
import io.debezium.relational.TableId;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Struct;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Instant;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** pg-ingest's source block maker against Debezium's: every field of the same change equal. */
class PgIngestSourceInfoStructMakerTest {

    private static final PostgresConnectorConfig CONFIG = new PostgresConnectorConfig(Configuration.from(Map.of(
            "topic.prefix", "pgingest_shop", "database.dbname", "shop", "database.hostname", "localhost",
            "database.user", "postgres", "plugin.name", "pgoutput")));

    enum Shape { STREAMED, FIRST_CHANGE_NO_COMMIT_YET, NO_TIMESTAMP_NO_TXID, SNAPSHOT_LAST, INCREMENTAL }

    @ParameterizedTest
    @EnumSource(Shape.class)
    void makesWhatDebeziumsMakerMakes(Shape shape) {
        SourceInfo info = new SourceInfo(CONFIG);
        boolean timestamp = shape != Shape.NO_TIMESTAMP_NO_TXID;
        Instant at = timestamp ? Instant.parse("2026-11-25T03:04:05.123456789Z") : null;
        info.update(Lsn.valueOf(0x16B3748L + 4096), at, timestamp ? 7331L : null, shape == Shape.STREAMED ? 812L : null,
                new TableId(null, "public", "orders"), ReplicationMessage.Operation.UPDATE);
        if (shape != Shape.FIRST_CHANGE_NO_COMMIT_YET) {
            info.updateLastCommit(Lsn.valueOf(0x16B3748L));
        }
        if (shape == Shape.SNAPSHOT_LAST) {
            info.setSnapshot(SnapshotRecord.LAST);
        } else if (shape == Shape.INCREMENTAL) {
            info.setSnapshot(SnapshotRecord.INCREMENTAL);
        }

        PostgresSourceInfoStructMaker debezium = new PostgresSourceInfoStructMaker();
        debezium.init("postgresql", "3.4.0.Final", CONFIG);
        PgIngestSourceInfoStructMaker ours = new PgIngestSourceInfoStructMaker();
        ours.init("postgresql", "3.4.0.Final", CONFIG);
        Struct expected = debezium.struct(info);
        Struct actual = ours.struct(info);

        assertThat(actual.schema()).isEqualTo(expected.schema());
        for (Field f : expected.schema().fields()) {
            if (!timestamp && f.name().startsWith("ts_")) {
                // no commit time: both take the clock's, a few microseconds apart
                assertThat((Long) actual.get(f)).as(f.name()).isCloseTo((Long) expected.get(f), org.assertj.core.data.Offset.offset(
                        f.name().equals("ts_ms") ? 1_000L : f.name().equals("ts_us") ? 1_000_000L : 1_000_000_000L));
            } else {
                assertThat(actual.get(f)).as(f.name()).isEqualTo(expected.get(f));
            }
        }
        assertThat(actual.get("sequence")).as("the sequence is Jackson's JSON")
                .isEqualTo(shape == Shape.FIRST_CHANGE_NO_COMMIT_YET ? "[null,\"23807816\"]" // the change's position only
                        : "[\"23803720\",\"23803720\"]"); // (Debezium moves the position to the commit's too)
        if (timestamp) {
            assertThat(actual).isEqualTo(expected);
        }
    }
}
