package io.pgingest.mapping;

import io.pgingest.event.LogicalType;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.util.UUID;

/**
 * The {@link TypeMapping.ValueReader} of each logical type. Only typed getters that parse the server's
 * text (or binary) form are used: nothing goes through {@code java.sql.Timestamp} or the JVM time zone.
 */
final class Readers {

    private Readers() {
    }

    static TypeMapping.ValueReader of(LogicalType type) {
        return switch (type) {
            case BOOLEAN -> Readers::bool;
            case INT16 -> Readers::int16;
            case INT32 -> Readers::int32;
            case INT64 -> Readers::int64;
            case FLOAT32 -> Readers::float32;
            case FLOAT64 -> Readers::float64;
            case DECIMAL -> (rs, i) -> Decimals.parse(rs.getString(i));
            case TEXT, JSON -> ResultSet::getString;
            case BYTES -> ResultSet::getBytes;
            case DATE -> (rs, i) -> rs.getObject(i, LocalDate.class);
            case TIME -> (rs, i) -> rs.getObject(i, LocalTime.class);
            case TIMETZ -> Readers::timetz;
            case TIMESTAMP -> (rs, i) -> rs.getObject(i, LocalDateTime.class);
            case TIMESTAMPTZ -> (rs, i) -> Temporals.utc(rs.getObject(i, OffsetDateTime.class));
            case INTERVAL -> (rs, i) -> IntervalText.fromParts(rs.getString(i));
            case UUID -> (rs, i) -> rs.getObject(i, UUID.class);
        };
    }

    /**
     * pgjdbc reads PostgreSQL's 24:00:00 of a time with time zone as {@link OffsetTime#MAX}, whose offset (-18:00) no
     * destination takes: that value is read again from its text, keeping its own offset ({@link DateTimeText#timetz}).
     * (With binary transfer pgjdbc 42.7 fails on 24:00:00 altogether: source connections disable it for this type,
     * {@link TypeMapping#BINARY_TRANSFER_DISABLE}.)
     */
    private static Object timetz(ResultSet rs, int i) throws SQLException {
        OffsetTime value = rs.getObject(i, OffsetTime.class);
        return OffsetTime.MAX.equals(value) ? DateTimeText.timetz(rs.getString(i)) : value;
    }

    private static Object bool(ResultSet rs, int i) throws SQLException {
        boolean v = rs.getBoolean(i);
        return rs.wasNull() ? null : v;
    }

    private static Object int16(ResultSet rs, int i) throws SQLException {
        short v = rs.getShort(i);
        return rs.wasNull() ? null : v;
    }

    private static Object int32(ResultSet rs, int i) throws SQLException {
        int v = rs.getInt(i);
        return rs.wasNull() ? null : v;
    }

    private static Object int64(ResultSet rs, int i) throws SQLException {
        long v = rs.getLong(i);
        return rs.wasNull() ? null : v;
    }

    private static Object float32(ResultSet rs, int i) throws SQLException {
        float v = rs.getFloat(i);
        return rs.wasNull() ? null : v;
    }

    private static Object float64(ResultSet rs, int i) throws SQLException {
        double v = rs.getDouble(i);
        return rs.wasNull() ? null : v;
    }
}
