package io.pgingest.event;

/**
 * The destination-neutral type of a column, resolved by the type-mapping processor from
 * the PostgreSQL type. Each constant documents the Java class its values have in a
 * {@link RowBatch} (values may always be {@code null}).
 */
public enum LogicalType {
    /** {@link Boolean}. */
    BOOLEAN,
    /** {@link Short}. */
    INT16,
    /** {@link Integer}. */
    INT32,
    /** {@link Long}. */
    INT64,
    /** {@link Float} (may be NaN or infinite). */
    FLOAT32,
    /** {@link Double} (may be NaN or infinite). */
    FLOAT64,
    /**
     * {@link java.math.BigDecimal}, exact; {@link Column#precision()} and {@link Column#scale()}
     * set when the source declares them. NaN/Infinity numerics arrive as {@link String}.
     */
    DECIMAL,
    /** {@link String}. */
    TEXT,
    /** {@link String} holding a JSON document (json, jsonb, and arrays as JSON array text). */
    JSON,
    /** {@code byte[]}. */
    BYTES,
    /** {@link java.time.LocalDate}; infinity as {@link java.time.LocalDate#MAX}/{@code MIN}. */
    DATE,
    /** {@link java.time.LocalTime}. */
    TIME,
    /** {@link java.time.OffsetTime}. */
    TIMETZ,
    /** {@link java.time.LocalDateTime}; infinity as {@link java.time.LocalDateTime#MAX}/{@code MIN}. */
    TIMESTAMP,
    /** {@link java.time.OffsetDateTime} normalised to UTC; infinity as {@code OffsetDateTime.MAX}/{@code MIN}. */
    TIMESTAMPTZ,
    /** {@link String} in PostgreSQL's {@code postgres} interval style, e.g. {@code 1 year 2 mons 03:04:05}. */
    INTERVAL,
    /** {@link java.util.UUID}. */
    UUID
}
