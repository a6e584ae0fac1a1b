package io.pgingest.destination.postgres;

import io.pgingest.destination.NumericType;
import io.pgingest.event.Column;
import io.pgingest.mapping.TypeMapping;
import java.util.Locale;
import java.util.Map;

/**
 * Maps pg-ingest columns to PostgreSQL column types and decides how an existing column widens.
 * Type names are spelled as {@code format_type()} prints them, so that a planned type can be
 * compared with the existing one by name. Stateless and thread-safe.
 */
public final class PostgresTypes {

    /** The widest type: every value has an exact text form. */
    public static final String TEXT = "text";
    /** Unconstrained numeric: wider than every integer and numeric(p,s). */
    public static final String NUMERIC = "numeric";
    /** The largest precision PostgreSQL accepts for numeric(p,s). */
    public static final int MAX_NUMERIC_PRECISION = 1000;

    private static final Map<String, Integer> INTEGER_DIGITS = Map.of("smallint", 5, "integer", 10, "bigint", 19);

    private PostgresTypes() {
    }

    /** The destination column type of {@code column} (see docs/type-mapping.md). */
    public static String ddlType(Column column) {
        return switch (column.type()) {
            case BOOLEAN -> "boolean";
            case INT16 -> "smallint";
            case INT32 -> "integer";
            case INT64 -> "bigint";
            case FLOAT32 -> "real";
            case FLOAT64 -> "double precision";
            case DECIMAL -> column.precision() >= 1 && column.precision() <= MAX_NUMERIC_PRECISION
                    ? "numeric(" + column.precision() + "," + Math.max(column.scale(), 0) + ")" : NUMERIC;
            // built-in types read as text (inet, ranges, xml, bit strings, ...) keep their type
            case TEXT -> TypeMapping.postgresNativeType(column).orElse(TEXT);
            case JSON -> TypeMapping.isArray(column) ? TEXT : jsonType(column.sourceType());
            case BYTES -> "bytea";
            case DATE -> "date";
            case TIME -> "time without time zone";
            case TIMETZ -> "time with time zone";
            case TIMESTAMP -> "timestamp without time zone";
            case TIMESTAMPTZ -> "timestamp with time zone";
            case INTERVAL -> "interval";
            case UUID -> "uuid";
        };
    }

    private static String jsonType(String sourceType) {
        String source = sourceType.trim().toLowerCase(Locale.ROOT);
        if (source.endsWith("[]")) {
            return TEXT;
        }
        return source.equals("json") ? "json" : "jsonb";
    }

    /** The narrowest type that holds values of both types; {@code existing} when no change is needed. */
    public static String widen(String existing, String wanted) {
        String a = existing.toLowerCase(Locale.ROOT).trim();
        String b = wanted.toLowerCase(Locale.ROOT).trim();
        if (a.equals(b) || isText(a) || isJson(a) && isJson(b)) {
            return existing;
        }
        if (isText(b)) {
            return TEXT;
        }
        if (isFloat(a) || isFloat(b)) {
            return widenFloat(existing, a, b);
        }
        if (a.equals(NUMERIC) && exact(b) != null) {
            return existing;
        }
        if (b.equals(NUMERIC) && exact(a) != null) {
            return NUMERIC;
        }
        NumericType x = exact(a);
        NumericType y = exact(b);
        if (x != null && y != null) {
            return widenExact(existing, a, x, y);
        }
        return TEXT;
    }

    private static String widenFloat(String existing, String a, String b) {
        boolean aSmall = a.equals("smallint") || a.equals("integer");
        boolean bSmall = b.equals("smallint") || b.equals("integer");
        if (a.equals("double precision") && (b.equals("real") || bSmall)) {
            return existing;
        }
        if (a.equals("real") && b.equals("smallint")) {
            return existing;
        }
        return (isFloat(a) || aSmall) && (isFloat(b) || bSmall) ? "double precision" : TEXT;
    }

    private static String widenExact(String existing, String a, NumericType x, NumericType y) {
        NumericType merged = x.merge(y);
        if (merged.equals(x)) {
            return existing;
        }
        if (INTEGER_DIGITS.containsKey(a) && merged.scale() == 0) {
            for (String candidate : new String[] {"smallint", "integer", "bigint"}) {
                if (INTEGER_DIGITS.get(candidate) >= merged.integerDigits()) {
                    return candidate;
                }
            }
        }
        return merged.precision() > MAX_NUMERIC_PRECISION ? NUMERIC
                : "numeric(" + merged.precision() + "," + merged.scale() + ")";
    }

    private static boolean isText(String type) {
        return type.equals(TEXT) || type.equals("character varying");
    }

    private static boolean isJson(String type) {
        return type.equals("json") || type.equals("jsonb");
    }

    private static boolean isFloat(String type) {
        return type.equals("real") || type.equals("double precision");
    }

    private static NumericType exact(String type) {
        Integer digits = INTEGER_DIGITS.get(type);
        return digits != null ? NumericType.ofInteger(digits) : NumericType.parseDecimal(type);
    }
}
