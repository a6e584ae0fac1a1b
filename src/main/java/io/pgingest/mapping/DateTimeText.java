package io.pgingest.mapping;

import java.time.Duration;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.temporal.ChronoField;

/**
 * Converts date/time values from other sources: ISO 8601 text (with {@code T} or a space between date
 * and time, offsets as {@code +01}, {@code +01:00} or {@code Z}), PostgreSQL's {@code infinity}
 * spellings, and JDBC's legacy {@code java.sql} classes.
 */
final class DateTimeText {

    private static final DateTimeFormatter TIME = new DateTimeFormatterBuilder()
            .appendValue(ChronoField.HOUR_OF_DAY, 2).appendLiteral(':')
            .appendValue(ChronoField.MINUTE_OF_HOUR, 2)
            .optionalStart().appendLiteral(':').appendValue(ChronoField.SECOND_OF_MINUTE, 2)
            .optionalStart().appendFraction(ChronoField.NANO_OF_SECOND, 0, 9, true)
            .optionalEnd().optionalEnd().toFormatter();

    private static final DateTimeFormatter OFFSET = new DateTimeFormatterBuilder()
            .parseLenient().appendOffset("+HH:MM:ss", "Z").parseStrict().toFormatter();

    private static final DateTimeFormatter TIMESTAMP = new DateTimeFormatterBuilder()
            .parseCaseInsensitive().append(DateTimeFormatter.ISO_LOCAL_DATE)
            .optionalStart().appendLiteral('T').optionalEnd()
            .optionalStart().appendLiteral(' ').optionalEnd()
            .append(TIME)
            .optionalStart().append(OFFSET).optionalEnd()
            .toFormatter();

    private static final DateTimeFormatter TIMETZ = new DateTimeFormatterBuilder()
            .append(TIME).append(OFFSET).toFormatter();

    private DateTimeText() {
    }

    static Object date(Object v) {
        if (v instanceof LocalDate) {
            return v;
        }
        if (v instanceof java.sql.Date d) {
            return d.toLocalDate();
        }
        String s = Canonical.text(v).strip();
        return switch (s) {
            case "infinity" -> LocalDate.MAX;
            case "-infinity" -> LocalDate.MIN;
            default -> LocalDate.parse(s);
        };
    }

    static Object time(Object v) {
        if (v instanceof LocalTime) {
            return v;
        }
        if (v instanceof java.sql.Time t) {
            return t.toLocalTime();
        }
        if (v instanceof Duration d) {
            return LocalTime.ofNanoOfDay(d.toNanos());
        }
        String s = Canonical.text(v).strip();
        // PostgreSQL allows 24:00:00, which java.time cannot hold; pgjdbc reads it as LocalTime.MAX too.
        return s.startsWith("24:00") ? LocalTime.MAX : LocalTime.parse(s, TIME);
    }

    /**
     * PostgreSQL's text of a time with time zone. Its 24:00:00, which java.time cannot hold, reads as the day's last
     * instant at the value's own offset ({@link LocalTime#MAX}, as for time): pgjdbc's {@link OffsetTime#MAX} has
     * the offset -18:00, which no destination accepts (PostgreSQL's limit is 15:59:59).
     */
    static OffsetTime timetz(String s) {
        String t = s.strip();
        if (t.startsWith("24:00")) {
            return OffsetTime.of(LocalTime.MAX, OffsetTime.parse("00" + t.substring(2), TIMETZ).getOffset());
        }
        return OffsetTime.parse(t, TIMETZ);
    }

    static Object timestamp(Object v) {
        if (v instanceof LocalDateTime) {
            return v;
        }
        if (v instanceof java.sql.Timestamp t) {
            return t.toLocalDateTime();
        }
        String s = Canonical.text(v).strip();
        return switch (s) {
            case "infinity" -> LocalDateTime.MAX;
            case "-infinity" -> LocalDateTime.MIN;
            default -> LocalDateTime.parse(s, TIMESTAMP);
        };
    }

    static OffsetDateTime timestamptz(String text) {
        String s = text.strip();
        return switch (s) {
            case "infinity" -> OffsetDateTime.MAX;
            case "-infinity" -> OffsetDateTime.MIN;
            default -> OffsetDateTime.parse(s, TIMESTAMP);
        };
    }
}
