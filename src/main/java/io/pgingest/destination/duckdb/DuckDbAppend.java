package io.pgingest.destination.duckdb;

import io.pgingest.event.LogicalType;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.time.ZoneOffset;
import java.util.UUID;
import org.duckdb.DuckDBAppender;

/**
 * Appends one value to the current row of a DuckDB appender, typed as the staging column needs.
 * Infinite dates and timestamps are written as DuckDB's own infinity values (the largest and
 * smallest storable day/microsecond counts), which DuckDB prints and compares as
 * {@code infinity}/{@code -infinity}. Stateless.
 */
final class DuckDbAppend {

    /** DuckDB's date_t::infinity() and ninfinity(). */
    private static final int DATE_INFINITY = Integer.MAX_VALUE;
    /** DuckDB's timestamp_t::infinity() and ninfinity(). */
    private static final long TIMESTAMP_INFINITY = Long.MAX_VALUE;

    private DuckDbAppend() {
    }

    /**
     * @param stagingType the staging column's type (VARCHAR for values cast by the merge)
     * @param scale       the staging column's decimal scale, or -1
     */
    static void append(DuckDBAppender appender, LogicalType type, String stagingType, int scale, Object value)
            throws SQLException {
        if (value == null) {
            appender.appendNull();
            return;
        }
        if (stagingType.equals(DuckDbTypes.VARCHAR)) {
            appender.append(text(type, value));
            return;
        }
        switch (type) {
            case BOOLEAN -> appender.append((Boolean) value);
            case INT16 -> appender.append((Short) value);
            case INT32 -> appender.append((Integer) value);
            case INT64 -> appender.append((Long) value);
            case FLOAT32 -> appender.append((Float) value);
            case FLOAT64 -> appender.append((Double) value);
            case DECIMAL -> appender.append(((BigDecimal) value).setScale(scale, RoundingMode.UNNECESSARY));
            case BYTES -> appender.append((byte[]) value);
            case DATE -> appendDate(appender, (LocalDate) value);
            case TIME -> appender.append((LocalTime) value);
            case TIMETZ -> appender.append((OffsetTime) value);
            case TIMESTAMP -> appendTimestamp(appender, (LocalDateTime) value);
            case TIMESTAMPTZ -> appendTimestampTz(appender, (OffsetDateTime) value);
            case UUID -> appender.append((UUID) value);
            case TEXT, JSON, INTERVAL -> appender.append(text(type, value));
        }
    }

    /** The text the appender writes for a value staged as VARCHAR (cast by the merge or insert). */
    static String text(LogicalType type, Object value) {
        if (type == LogicalType.INTERVAL) {
            return IntervalText.toDuckDb(value.toString());
        }
        if (value instanceof BigDecimal decimal) {
            return decimal.toPlainString();
        }
        return value.toString();
    }

    private static void appendDate(DuckDBAppender appender, LocalDate date) throws SQLException {
        if (date.equals(LocalDate.MAX)) {
            appender.appendEpochDays(DATE_INFINITY);
        } else if (date.equals(LocalDate.MIN)) {
            appender.appendEpochDays(-DATE_INFINITY);
        } else {
            appender.appendEpochDays(Math.toIntExact(date.toEpochDay()));
        }
    }

    private static void appendTimestamp(DuckDBAppender appender, LocalDateTime ts) throws SQLException {
        if (ts.equals(LocalDateTime.MAX)) {
            appender.appendEpochMicros(TIMESTAMP_INFINITY);
        } else if (ts.equals(LocalDateTime.MIN)) {
            appender.appendEpochMicros(-TIMESTAMP_INFINITY);
        } else {
            appender.appendEpochMicros(micros(ts.toInstant(ZoneOffset.UTC)));
        }
    }

    private static void appendTimestampTz(DuckDBAppender appender, OffsetDateTime ts) throws SQLException {
        if (ts.equals(OffsetDateTime.MAX)) {
            appender.appendEpochMicros(TIMESTAMP_INFINITY);
        } else if (ts.equals(OffsetDateTime.MIN)) {
            appender.appendEpochMicros(-TIMESTAMP_INFINITY);
        } else {
            appender.appendEpochMicros(micros(ts.toInstant()));
        }
    }

    /**
     * Microseconds since the epoch, as DuckDB stores a timestamp; fails, saying so, for an instant DuckDB cannot hold
     * (after 294247-01-10 04:00:54.775806 or before 290308-12-22 BC: PostgreSQL's range goes to 294276-12-31).
     */
    static long micros(Instant instant) {
        long micros;
        try {
            micros = Math.addExact(Math.multiplyExact(instant.getEpochSecond(), 1_000_000L), instant.getNano() / 1_000);
        } catch (ArithmeticException e) {
            micros = Long.MAX_VALUE;
        }
        if (micros >= TIMESTAMP_INFINITY || micros <= -TIMESTAMP_INFINITY) {
            throw new IllegalArgumentException("timestamp " + instant + " is beyond DuckDB's range (294247-01-10 at the"
                    + " latest); replicate this table into PostgreSQL, or exclude it or change the value at the source");
        }
        return micros;
    }
}
