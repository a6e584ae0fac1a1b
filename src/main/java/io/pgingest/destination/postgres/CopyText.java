package io.pgingest.destination.postgres;

import io.pgingest.event.LogicalType;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.time.ZoneOffset;

/**
 * Appends values in PostgreSQL's COPY text format: {@code \N} for NULL, backslash escapes for
 * backslash, tab, newline and carriage return, bytea as {@code \\x} hex, infinite dates and
 * timestamps as {@code infinity}. Text holding a NUL character is rejected because no
 * PostgreSQL text type can store it. Stateless.
 */
final class CopyText {

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private CopyText() {
    }

    static void append(StringBuilder out, LogicalType type, Object value, String column) {
        if (value == null) {
            out.append("\\N");
            return;
        }
        switch (type) {
            case BOOLEAN -> out.append(((Boolean) value) ? 't' : 'f');
            case INT16, INT32, INT64, UUID -> out.append(value);
            case FLOAT32, FLOAT64 -> out.append(floatText(((Number) value).doubleValue(), value));
            case DECIMAL -> out.append(value instanceof BigDecimal d ? d.toPlainString() : value.toString());
            case BYTES -> appendHex(out, (byte[]) value);
            case DATE -> out.append(dateText((LocalDate) value));
            case TIME -> out.append(value);
            case TIMETZ -> out.append(timeTzText((OffsetTime) value));
            case TIMESTAMP -> out.append(timestampText((LocalDateTime) value));
            case TIMESTAMPTZ -> out.append(timestampTzText((OffsetDateTime) value));
            case TEXT, JSON, INTERVAL -> appendEscaped(out, value.toString(), column);
        }
    }

    private static String floatText(double d, Object value) {
        if (Double.isNaN(d)) {
            return "NaN";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "Infinity" : "-Infinity";
        }
        return value.toString();
    }

    static void appendEscaped(StringBuilder out, String text, String column) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '\t' -> out.append("\\t");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\0' -> throw new IllegalArgumentException("value of column " + column
                        + " contains a NUL character (0x00), which PostgreSQL text cannot store; "
                        + "remove it at the source or map the column to bytea");
                default -> out.append(c);
            }
        }
    }

    private static void appendHex(StringBuilder out, byte[] bytes) {
        out.append("\\\\x");
        for (byte b : bytes) {
            out.append(HEX[(b >> 4) & 0xf]).append(HEX[b & 0xf]);
        }
    }

    static String dateText(LocalDate date) {
        if (date.equals(LocalDate.MAX)) {
            return "infinity";
        }
        if (date.equals(LocalDate.MIN)) {
            return "-infinity";
        }
        return datePart(date) + (date.getYear() <= 0 ? " BC" : "");
    }

    private static String datePart(LocalDate date) {
        int year = date.getYear() <= 0 ? 1 - date.getYear() : date.getYear();
        return String.format("%04d-%02d-%02d", year, date.getMonthValue(), date.getDayOfMonth());
    }

    static String timestampText(LocalDateTime ts) {
        if (ts.equals(LocalDateTime.MAX)) {
            return "infinity";
        }
        if (ts.equals(LocalDateTime.MIN)) {
            return "-infinity";
        }
        return datePart(ts.toLocalDate()) + " " + ts.toLocalTime() + (ts.getYear() <= 0 ? " BC" : "");
    }

    static String timestampTzText(OffsetDateTime ts) {
        if (ts.equals(OffsetDateTime.MAX)) {
            return "infinity";
        }
        if (ts.equals(OffsetDateTime.MIN)) {
            return "-infinity";
        }
        LocalDateTime utc = ts.withOffsetSameInstant(ZoneOffset.UTC).toLocalDateTime();
        return datePart(utc.toLocalDate()) + " " + utc.toLocalTime() + "+00" + (utc.getYear() <= 0 ? " BC" : "");
    }

    private static String timeTzText(OffsetTime time) {
        int seconds = time.getOffset().getTotalSeconds();
        int abs = Math.abs(seconds);
        return time.toLocalTime() + (seconds < 0 ? "-" : "+")
                + String.format("%02d:%02d:%02d", abs / 3600, abs / 60 % 60, abs % 60);
    }
}
