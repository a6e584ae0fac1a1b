package io.pgingest.mapping;

import io.pgingest.event.Column;
import io.pgingest.event.LoadKind;
import io.pgingest.event.LogicalType;
import io.pgingest.event.RowBatch;
import io.pgingest.event.SourceTable;
import io.pgingest.event.WriteMode;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;
import org.postgresql.util.PGInterval;
import org.postgresql.util.PGobject;

import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TypeMappingProcessorTest {

    private final TypeMappingProcessor processor = new TypeMappingProcessor();

    private static RowBatch batch(List<Column> columns, List<Object[]> rows) {
        return new RowBatch("p", new SourceTable("db", "public", "t"), null, columns, List.of(), rows,
                LoadKind.HISTORICAL, WriteMode.APPEND, 1L, Instant.EPOCH, Map.of(), false);
    }

    private static Column unresolved(String name, String sourceType) {
        return new Column(name, sourceType, null, -1, -1, true);
    }

    @Test
    void aResolvedCanonicalBatchIsReturnedAsTheSameInstance() {
        List<Column> cols = List.of(TypeMapping.resolve(unresolved("a", "integer")),
                TypeMapping.resolve(unresolved("b", "timestamp with time zone")));
        List<Object[]> rows = new ArrayList<>();
        rows.add(new Object[]{null, null});
        rows.add(new Object[]{1, OffsetDateTime.of(2024, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC)});
        RowBatch in = batch(cols, rows);

        assertThat(processor.apply(in)).as("nothing to do costs no new batch").isSameAs(in);
    }

    @Test
    void unresolvedColumnsAreResolvedWithoutCopyingCanonicalRows() {
        List<Object[]> rows = List.<Object[]>of(new Object[]{new BigDecimal("1.50"), "x"});
        RowBatch out = processor.apply(batch(List.of(unresolved("n", "numeric(12,2)"), unresolved("e", "mood")),
                rows));

        assertThat(out.columns()).extracting(Column::type).containsExactly(LogicalType.DECIMAL, LogicalType.TEXT);
        assertThat(out.columns().get(0).precision()).isEqualTo(12);
        assertThat(out.rows()).as("canonical rows are shared, not copied").isSameAs(rows);
    }

    @Test
    void jdbcLegacyAndDriverClassesBecomeCanonical() throws SQLException {
        PGobject inet = new PGobject();
        inet.setType("inet");
        inet.setValue("10.0.0.1");
        Object[] row = {
                Timestamp.valueOf("2024-03-31 02:30:00.5"),
                OffsetDateTime.of(2024, 1, 1, 10, 0, 0, 0, ZoneOffset.ofHours(5)),
                java.sql.Date.valueOf("2024-02-29"),
                java.sql.Time.valueOf("10:11:12"),
                inet,
                new PGInterval("1 year 2 mons 3 days 04:05:06.5"),
                "12.3400",
                7,
                ByteBuffer.wrap(new byte[]{0, 1}),
                "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
                new Object[]{new Object[]{1, 2}, new Object[]{3, null}},
                List.of("a\"b", 1.5, true),
                "10:00:00+05:30",
        };
        List<Column> cols = List.of(unresolved("ts", "timestamp without time zone"),
                unresolved("tstz", "timestamp with time zone"), unresolved("d", "date"),
                unresolved("t", "time without time zone"), unresolved("ip", "inet"),
                unresolved("i", "interval"), unresolved("n", "numeric"), unresolved("s", "smallint"),
                unresolved("b", "bytea"), unresolved("u", "uuid"), unresolved("arr", "integer[]"),
                unresolved("arr2", "text[]"), unresolved("tz", "time with time zone"));
        Object[] original = row.clone();

        Object[] out = processor.apply(batch(cols, List.<Object[]>of(row))).rows().get(0);

        assertThat(out[0]).isEqualTo(LocalDateTime.of(2024, 3, 31, 2, 30, 0, 500_000_000));
        assertThat(out[1]).as("timestamptz moved to UTC")
                .isEqualTo(OffsetDateTime.of(2024, 1, 1, 5, 0, 0, 0, ZoneOffset.UTC));
        assertThat(out[2]).isEqualTo(LocalDate.of(2024, 2, 29));
        assertThat(out[3]).isEqualTo(LocalTime.of(10, 11, 12));
        assertThat(out[4]).isEqualTo("10.0.0.1");
        assertThat(out[5]).isEqualTo("1 year 2 mons 3 days 04:05:06.5");
        assertThat(out[6]).as("exact, scale kept").isEqualTo(new BigDecimal("12.3400"));
        assertThat(out[7]).isEqualTo((short) 7);
        assertThat((byte[]) out[8]).containsExactly(0, 1);
        assertThat(out[9]).isEqualTo(UUID.fromString("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"));
        assertThat(out[10]).as("nested array as JSON like array_to_json").isEqualTo("[[1,2],[3,null]]");
        assertThat(out[11]).isEqualTo("[\"a\\\"b\",1.5,true]");
        assertThat(out[12]).isEqualTo(OffsetTime.of(10, 0, 0, 0, ZoneOffset.ofHoursMinutes(5, 30)));
        assertThat(row).as("the input row is not changed in place").isEqualTo(original);
    }

    @Test
    void specialNumericAndTemporalValuesArePreserved() {
        List<Column> cols = List.of(unresolved("n", "numeric"), unresolved("f", "double precision"),
                unresolved("ts", "timestamp without time zone"), unresolved("tstz", "timestamp with time zone"),
                unresolved("d", "date"), unresolved("r", "real"));
        List<Object[]> rows = List.of(
                new Object[]{"NaN", "NaN", "infinity", "-infinity", "infinity", "-Infinity"},
                new Object[]{Double.POSITIVE_INFINITY, "1e300", "2024-01-01 10:00:00.25", "2024-01-01 10:00:00+01",
                        "-infinity", 2.5},
                new Object[]{"-Infinity", 1, "2024-01-01T10:00", OffsetDateTime.MAX, "2024-01-01", "1.5"});

        List<Object[]> out = processor.apply(batch(cols, rows)).rows();

        assertThat(out.get(0)).containsExactly("NaN", Double.NaN, LocalDateTime.MAX, OffsetDateTime.MIN,
                LocalDate.MAX, Float.NEGATIVE_INFINITY);
        assertThat(out.get(1)).containsExactly("Infinity", 1e300, LocalDateTime.of(2024, 1, 1, 10, 0, 0, 250_000_000),
                OffsetDateTime.of(2024, 1, 1, 9, 0, 0, 0, ZoneOffset.UTC), LocalDate.MIN, 2.5f);
        assertThat(out.get(2)).containsExactly("-Infinity", 1.0, LocalDateTime.of(2024, 1, 1, 10, 0),
                OffsetDateTime.MAX, LocalDate.of(2024, 1, 1), 1.5f);
    }

    @Test
    void aNonUtcOffsetAfterUtcRowsIsStillNormalised() {
        List<Column> cols = List.of(TypeMapping.resolve(unresolved("tstz", "timestamptz")));
        List<Object[]> rows = List.of(new Object[]{OffsetDateTime.of(2024, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC)},
                new Object[]{OffsetDateTime.of(2024, 1, 1, 0, 0, 0, 0, ZoneOffset.ofHours(-3))});

        RowBatch out = processor.apply(batch(cols, rows));

        assertThat(out.rows().get(1)[0]).as("timestamptz is UTC in every row, not only the first")
                .isEqualTo(OffsetDateTime.of(2024, 1, 1, 3, 0, 0, 0, ZoneOffset.UTC));
    }

    @Test
    void isoIntervalsAndDurationsBecomePostgresStyle() {
        List<Column> cols = List.of(unresolved("i", "interval"));
        List<Object[]> rows = List.of(new Object[]{"P1Y2M3DT4H5M6.5S"}, new Object[]{Duration.ofMinutes(-90)});

        List<Object[]> out = processor.apply(batch(cols, rows)).rows();

        assertThat(out.get(0)[0]).isEqualTo("1 year 2 mons 3 days 04:05:06.5");
        assertThat(out.get(1)[0]).isEqualTo("-01:30:00");
    }

    @Test
    void anUnconvertibleValueNamesTheColumnAndTheClass() {
        List<Column> cols = List.of(unresolved("amount", "integer"));
        RowBatch in = batch(cols, List.<Object[]>of(new Object[]{"twelve"}));

        assertThatThrownBy(() -> processor.apply(in)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("column amount").hasMessageContaining("java.lang.String")
                .hasMessageContaining("LogicalType.INT32");
    }

    @Test
    void processReplacesTheBodyAndRefusesOtherBodies() throws Exception {
        CamelContext camel = new DefaultCamelContext();
        Exchange exchange = new DefaultExchange(camel);
        exchange.getIn().setBody(batch(List.of(unresolved("a", "bigint")), List.<Object[]>of(new Object[]{5})));

        processor.process(exchange);

        RowBatch out = exchange.getIn().getBody(RowBatch.class);
        assertThat(out.columns().get(0).type()).isEqualTo(LogicalType.INT64);
        assertThat(Arrays.asList(out.rows().get(0))).containsExactly(5L);

        exchange.getIn().setBody("not a batch");
        assertThatThrownBy(() -> processor.process(exchange)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("RowBatch");
    }
}
