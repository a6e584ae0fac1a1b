package io.pgingest.source.logical;

import io.pgingest.event.LogicalType;
import org.postgresql.util.PGInterval;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.sql.SQLException;

/**
 * Key values as PostgreSQL compares them. A few types have values that the server holds equal while their forms
 * differ, so that the same key can arrive written two ways: numeric ({@code 19.5} and {@code 19.50}), float
 * ({@code 0} and {@code -0}) and interval ({@code 1 day} and {@code 24:00:00}, {@code 1 mon} and {@code 30 days}). An
 * update that rewrites such a key (a change of its bytes, so the server sends the old key) arrives as a delete of the
 * old form and an insert of the new one; {@link ChangeBatcher} must see them as one key, or both go into one batch and
 * the destination applies them in no particular order (the row could end deleted while it lives at the source).
 * Other types' values are equal exactly when their Java values are (text under a deterministic collation, integers,
 * timestamps, UUIDs, and so on); timetz is not made canonical, the server holding {@code 10:00+08} and
 * {@code 02:00+00} different. Stateless.
 */
final class KeyValues {

    private KeyValues() {
    }

    /** The value standing for {@code value} of a key column of {@code type} when changes are grouped by key. */
    static Object canonical(Object value, LogicalType type) {
        if (value instanceof BigDecimal d) {
            return d.signum() == 0 ? BigDecimal.ZERO : d.stripTrailingZeros();
        }
        if (type == LogicalType.DECIMAL && value instanceof String text) {
            return numeric(text); // streamed numerics are their text (decimal.handling.mode string)
        }
        if (value instanceof Double d) {
            return d == 0.0 ? (Object) 0.0d : d; // -0.0 == 0.0
        }
        if (value instanceof Float f) {
            return f == 0.0f ? (Object) 0.0f : f;
        }
        if (type == LogicalType.INTERVAL && value instanceof String text) {
            return intervalSpan(text);
        }
        return value;
    }

    /** A numeric's text as a canonical BigDecimal; NaN and the infinities as they are. */
    private static Object numeric(String text) {
        try {
            return canonical(new BigDecimal(text), LogicalType.DECIMAL);
        } catch (NumberFormatException e) {
            return text;
        }
    }

    private static final BigInteger MICROS_PER_DAY = BigInteger.valueOf(86_400_000_000L);

    /**
     * The interval's span in microseconds, a month counted as 30 days and a day as 24 hours, as the server compares
     * intervals; the text itself when it is not an interval (PostgreSQL 17's infinities).
     */
    private static Object intervalSpan(String text) {
        PGInterval i;
        try {
            i = new PGInterval(text);
        } catch (SQLException | RuntimeException e) {
            return text;
        }
        long months = i.getYears() * 12L + i.getMonths();
        long micros = ((i.getHours() * 60L + i.getMinutes()) * 60L + i.getWholeSeconds()) * 1_000_000L + i.getMicroSeconds();
        return BigInteger.valueOf(months * 30 + i.getDays()).multiply(MICROS_PER_DAY).add(BigInteger.valueOf(micros));
    }
}
