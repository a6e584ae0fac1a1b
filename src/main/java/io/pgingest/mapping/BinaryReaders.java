package io.pgingest.mapping;

import io.pgingest.event.Column;
import io.pgingest.event.CopyRows;
import io.pgingest.event.LogicalType;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Reads the values of a column selected with {@link TypeMapping#selectExpression} from PostgreSQL's
 * binary COPY format, as the same Java values as {@link TypeMapping#reader} reads from a result set
 * (the classes documented on {@link LogicalType}). A table source that reads pages with
 * {@code COPY (SELECT ...) TO STDOUT (FORMAT binary)} keeps them in that form ({@link CopyRows}): a
 * PostgreSQL destination whose columns have the same types copies them on without decoding them, any
 * other consumer gets these values. A column without a reader here (one whose type is not resolved) makes the source
 * read the page through the result set instead. Stateless.
 */
public final class BinaryReaders {

    private static final LocalDate PG_EPOCH_DATE = LocalDate.of(2000, 1, 1);
    private static final LocalDateTime PG_EPOCH = LocalDateTime.of(2000, 1, 1, 0, 0);
    private static final long MICROS_PER_DAY = 86_400_000_000L;

    private BinaryReaders() {
    }

    /**
     * The readers of the columns, or null when one of them has none. Also gives, per column, the type
     * whose binary form its field holds ({@link CopyRows#binaryTypes()}).
     */
    public static Readers of(List<Column> resolved) {
        List<CopyRows.FieldReader> readers = new ArrayList<>();
        List<String> types = new ArrayList<>();
        for (Column c : resolved) {
            Reader r = readerFor(c);
            if (r == null) {
                return null;
            }
            readers.add(r.reader());
            types.add(r.binaryType());
        }
        return new Readers(List.copyOf(readers), List.copyOf(types));
    }

    /** Per column: its reader and the type whose binary form its field holds. */
    public record Readers(List<CopyRows.FieldReader> readers, List<String> binaryTypes) {
    }

    private record Reader(CopyRows.FieldReader reader, String binaryType) {
    }

    /**
     * Marks fields whose bytes no destination type takes as they are (the reader reformats them): interval (its text),
     * time and time with time zone (their binary forms; see {@link #plain}).
     */
    public static final String NOT_PASSED_ON = "(reformatted)";

    private static Reader readerFor(Column c) {
        if (c.type() == null) {
            return null;
        }
        PgType t = PgType.parse(c.sourceType());
        return switch (t.read()) {
            // text output of the value (c::text, abbrev(c), array_to_json(c)::text): read as the text it is
            case TEXT, INET, ARRAY_JSON, VECTOR_JSON -> new Reader(BinaryReaders::text, "text");
            case BIGINT, TEXT_BIGINT -> new Reader(BinaryReaders::int8, "bigint");
            case INTERVAL_PARTS -> new Reader((b, o, n) -> IntervalText.fromParts(text(b, o, n)), NOT_PASSED_ON);
            case NUMERIC, TEXT_NUMERIC -> new Reader(BinaryReaders::numeric, "numeric");
            case PLAIN -> plain(c.type(), t.baseName());
        };
    }

    private static Reader plain(LogicalType type, String baseName) {
        return switch (type) {
            case BOOLEAN -> new Reader((b, o, n) -> b[o] != 0, "boolean");
            case INT16 -> new Reader((b, o, n) -> (short) (((b[o] & 0xFF) << 8) | (b[o + 1] & 0xFF)), "smallint");
            case INT32 -> new Reader((b, o, n) -> int4(b, o), "integer");
            case INT64 -> new Reader(BinaryReaders::int8, "bigint");
            case FLOAT32 -> new Reader((b, o, n) -> Float.intBitsToFloat(int4(b, o)), "real");
            case FLOAT64 -> new Reader((b, o, n) -> Double.longBitsToDouble(long8(b, o)), "double precision");
            case TEXT -> new Reader(BinaryReaders::text, "text");
            case JSON -> baseName.equals("jsonb")
                    // jsonb's binary form: a version byte (1), then the document's text
                    ? new Reader((b, o, n) -> jsonb(b, o, n), "jsonb")
                    : new Reader(BinaryReaders::text, "json");
            case BYTES -> new Reader((b, o, n) -> java.util.Arrays.copyOfRange(b, o, o + n), "bytea");
            case DATE -> new Reader((b, o, n) -> date(int4(b, o)), "date");
            // not copied on as it is: 24:00:00 reads as LocalTime.MAX, which a destination gets as 23:59:59.999999
            case TIME -> new Reader((b, o, n) -> time(long8(b, o)), NOT_PASSED_ON);
            case TIMESTAMP -> new Reader((b, o, n) -> timestamp(long8(b, o)), "timestamp without time zone");
            case TIMESTAMPTZ -> new Reader((b, o, n) -> timestamptz(long8(b, o)), "timestamp with time zone");
            case UUID -> new Reader((b, o, n) -> new UUID(long8(b, o), long8(b, o + 8)), "uuid");
            case DECIMAL -> new Reader(BinaryReaders::numeric, "numeric");
            // not copied on as it is: no destination encoder takes time with time zone in binary form (CopyBinary)
            case TIMETZ -> new Reader((b, o, n) -> timetz(long8(b, o), int4(b, o + 8)), NOT_PASSED_ON);
            case INTERVAL -> null;
        };
    }

    private static final int NUMERIC_NEGATIVE = 0x4000;
    private static final int NUMERIC_NAN = 0xC000;
    private static final int NUMERIC_PINF = 0xD000;
    private static final int NUMERIC_NINF = 0xF000;
    private static final BigInteger TEN_THOUSAND = BigInteger.valueOf(10_000);

    /**
     * numeric's binary form: the number of base-10000 digits, the weight of the first one, the sign (or NaN,
     * Infinity), the display scale, then the digits. As {@link Decimals#parse} reads its text: a BigDecimal whose
     * scale is the display scale, the special values as their PostgreSQL spelling.
     */
    static Object numeric(byte[] b, int o, int n) {
        int ndigits = u16(b, o);
        int weight = (short) u16(b, o + 2);
        int sign = u16(b, o + 4);
        int dscale = u16(b, o + 6);
        switch (sign) {
            case NUMERIC_NAN:
                return Decimals.NAN;
            case NUMERIC_PINF:
                return Decimals.INFINITY;
            case NUMERIC_NINF:
                return Decimals.NEGATIVE_INFINITY;
            default:
                break;
        }
        BigDecimal value;
        int scale = 4 * (ndigits - 1 - weight); // of the digits read as one integer
        if (ndigits <= 4) {
            long unscaled = 0;
            for (int i = 0; i < ndigits; i++) {
                unscaled = unscaled * 10_000 + u16(b, o + 8 + 2 * i);
            }
            value = BigDecimal.valueOf(unscaled, scale);
        } else {
            BigInteger unscaled = BigInteger.ZERO;
            for (int i = 0; i < ndigits; i++) {
                unscaled = unscaled.multiply(TEN_THOUSAND).add(BigInteger.valueOf(u16(b, o + 8 + 2 * i)));
            }
            value = new BigDecimal(unscaled, scale);
        }
        // digits past the display scale are zeros: exact
        value = value.setScale(dscale, RoundingMode.UNNECESSARY);
        return sign == NUMERIC_NEGATIVE ? value.negate() : value;
    }

    private static int u16(byte[] b, int o) {
        return ((b[o] & 0xFF) << 8) | (b[o + 1] & 0xFF);
    }

    static int int4(byte[] b, int o) {
        return ((b[o] & 0xFF) << 24) | ((b[o + 1] & 0xFF) << 16) | ((b[o + 2] & 0xFF) << 8) | (b[o + 3] & 0xFF);
    }

    static long long8(byte[] b, int o) {
        return ((long) int4(b, o) << 32) | (int4(b, o + 4) & 0xFFFFFFFFL);
    }

    private static Object int8(byte[] b, int o, int n) {
        return long8(b, o);
    }

    private static String text(byte[] b, int o, int n) {
        return new String(b, o, n, StandardCharsets.UTF_8);
    }

    private static String jsonb(byte[] b, int o, int n) {
        if (n < 1 || b[o] != 1) {
            throw new IllegalStateException("jsonb value in an unknown binary format version " + (n < 1 ? "(empty)" : b[o]));
        }
        return new String(b, o + 1, n - 1, StandardCharsets.UTF_8);
    }

    /** Days since 2000-01-01; infinity as {@link LocalDate#MAX}/{@code MIN} (as pgjdbc reads them). */
    static LocalDate date(int days) {
        if (days == Integer.MAX_VALUE) {
            return LocalDate.MAX;
        }
        if (days == Integer.MIN_VALUE) {
            return LocalDate.MIN;
        }
        return PG_EPOCH_DATE.plusDays(days);
    }

    /** Microseconds since midnight; 24:00:00 (valid in PostgreSQL) as {@link LocalTime#MAX}, as pgjdbc reads it. */
    static LocalTime time(long micros) {
        return micros >= MICROS_PER_DAY ? LocalTime.MAX : LocalTime.ofNanoOfDay(micros * 1000);
    }

    /**
     * Microseconds since midnight and the zone in seconds west of UTC (PostgreSQL's binary form); 24:00:00 as
     * {@link LocalTime#MAX} at the value's offset, as {@link DateTimeText#timetz} reads its text.
     */
    static OffsetTime timetz(long micros, int secondsWest) {
        return OffsetTime.of(time(micros), ZoneOffset.ofTotalSeconds(-secondsWest));
    }

    /** Microseconds since 2000-01-01 00:00; infinity as {@link LocalDateTime#MAX}/{@code MIN}. */
    static LocalDateTime timestamp(long micros) {
        if (micros == Long.MAX_VALUE) {
            return LocalDateTime.MAX;
        }
        if (micros == Long.MIN_VALUE) {
            return LocalDateTime.MIN;
        }
        return PG_EPOCH.plusSeconds(Math.floorDiv(micros, 1_000_000L)).plusNanos(Math.floorMod(micros, 1_000_000L) * 1000);
    }

    /** Microseconds since 2000-01-01 00:00 UTC, in UTC; infinity as {@link OffsetDateTime#MAX}/{@code MIN}. */
    static OffsetDateTime timestamptz(long micros) {
        if (micros == Long.MAX_VALUE) {
            return OffsetDateTime.MAX;
        }
        if (micros == Long.MIN_VALUE) {
            return OffsetDateTime.MIN;
        }
        return timestamp(micros).atOffset(ZoneOffset.UTC);
    }
}
