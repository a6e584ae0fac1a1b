package io.pgingest.mapping;

import io.pgingest.event.Column;
import io.pgingest.event.LogicalType;
import io.pgingest.event.SourceTable;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The PostgreSQL type mapping shared by every source and destination (see {@code docs/type-mapping.md}):
 * resolves a column's {@link LogicalType} from its PostgreSQL type, says how a table source selects
 * the column, and reads its values from a pgjdbc {@link ResultSet} as the Java classes documented on
 * {@link LogicalType}. Stateless and thread-safe.
 */
public final class TypeMapping {

    /**
     * Session settings a table source should apply on its connections so that the text of container
     * values (arrays, ranges) does not depend on the server's or the JVM's defaults. Scalar values are
     * predictable without them (see {@link #selectExpression}); pgjdbc itself keeps DateStyle ISO.
     */
    public static final List<String> SESSION_SETTINGS = List.of(
            "SET TimeZone TO 'UTC'",
            "SET IntervalStyle TO 'postgres'",
            "SET bytea_output TO 'hex'",
            "SET extra_float_digits TO 3");

    /**
     * The pgjdbc connection property {@code binaryTransferDisable} a table source sets: time with time zone comes as
     * text, since pgjdbc 42.7 fails on PostgreSQL's 24:00:00 when it receives the binary form (its reader here,
     * {@code Readers.timetz}, takes the text).
     */
    public static final String BINARY_TRANSFER_DISABLE = "TIMETZ";

    /** Reads the value of one column from the current row of a result set; {@code null} stays {@code null}. */
    @FunctionalInterface
    public interface ValueReader {
        Object read(ResultSet rs, int index) throws SQLException;
    }

    private TypeMapping() {
    }

    /**
     * Returns the column with its logical type, precision and scale set from {@link Column#sourceType()}
     * (domains already resolved to their base type). Unknown and user-defined types map to TEXT.
     */
    public static Column resolve(Column c) {
        PgType t = PgType.parse(c.sourceType());
        return c.withType(t.logicalType(), t.precision(), t.scale());
    }

    /** Whether the type is one of PostgreSQL 15's built-in types (or an array of any type). */
    public static boolean isBuiltIn(String sourceType) {
        return PgType.parse(sourceType).builtIn();
    }

    /**
     * Whether the column is a PostgreSQL array, or an array-like int2vector/oidvector: read as JSON
     * array text, VARCHAR in destinations.
     */
    public static boolean isArray(Column c) {
        PgType t = PgType.parse(c.sourceType());
        return t.array() || t.read() == PgType.Read.VECTOR_JSON;
    }

    /**
     * For a TEXT column of a built-in type whose text form is accepted back by any PostgreSQL server
     * (network, geometric, bit string, ranges, text search, xml...), the type a PostgreSQL destination
     * keeps, e.g. {@code inet} or {@code bit(8)}; empty for every other column (destination uses text).
     */
    public static Optional<String> postgresNativeType(Column c) {
        PgType t = PgType.parse(c.sourceType());
        if (t.array() || !PgType.PORTABLE_TEXT_TYPES.contains(t.baseName())) {
            return Optional.empty();
        }
        return Optional.of(c.sourceType().strip());
    }

    /**
     * The SELECT-list expression for the column, aliased back to its name: arrays as JSON array text,
     * money as numeric, types read as text cast to text, intervals as {@code months days micros} numbers
     * (so that neither the session's IntervalStyle nor anything else changes them), others as themselves.
     */
    public static String selectExpression(Column resolved) {
        String q = SourceTable.quote(resolved.name());
        PgType type = PgType.parse(resolved.sourceType());
        String expr = switch (type.read()) {
            case PLAIN -> q;
            // xml's cast to text keeps a declaration its output drops (<?xml version="1.0"?>), as the WAL does
            case TEXT -> type.baseName().equals("xml") && !type.array() ? "textin(xml_out(" + q + "))" : q + "::text";
            case INET -> "abbrev(" + q + ")";
            case ARRAY_JSON -> "array_to_json(" + q + ")::text";
            case VECTOR_JSON -> "array_to_json(" + q + "::"
                    + (resolved.sourceType().strip().equals("oidvector") ? "oid[]::bigint" : "smallint") + "[])::text";
            case NUMERIC -> q + "::numeric";
            case BIGINT -> q + "::bigint";
            case TEXT_BIGINT -> q + "::text::bigint";
            case TEXT_NUMERIC -> q + "::text::numeric";
            case INTERVAL_PARTS -> intervalParts(q);
        };
        return expr + " AS " + q;
    }

    private static String intervalParts(String q) {
        return "CASE WHEN isfinite(" + q + ") THEN "
                + "(extract(year from " + q + ") * 12 + extract(month from " + q + "))::bigint::text || ' ' || "
                + "extract(day from " + q + ")::bigint::text || ' ' || "
                + "(extract(hour from " + q + ") * 3600000000 + extract(minute from " + q + ") * 60000000"
                + " + extract(microsecond from " + q + "))::bigint::text"
                + " ELSE " + q + "::text END";
    }

    /**
     * The reader of a resolved column's values, selected with {@link #selectExpression}. Resolve it once
     * per column and reuse it for every row.
     *
     * @throws IllegalArgumentException when the column has not been resolved
     */
    public static ValueReader reader(Column resolved) {
        LogicalType type = Objects.requireNonNull(resolved, "column").type();
        if (type == null) {
            throw new IllegalArgumentException("column " + resolved.name() + " (" + resolved.sourceType()
                    + ") has no logical type: call TypeMapping.resolve(column) first");
        }
        return Readers.of(type);
    }
}
