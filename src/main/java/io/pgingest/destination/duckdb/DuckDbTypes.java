package io.pgingest.destination.duckdb;

import io.pgingest.destination.NumericType;
import io.pgingest.event.Column;
import io.pgingest.event.LogicalType;
import io.pgingest.mapping.TypeMapping;
import java.util.Locale;
import java.util.Map;

/**
 * Maps pg-ingest columns to DuckDB column types and decides how an existing column widens.
 * Type names are spelled as {@code duckdb_columns()} reports them, so that a planned type can be
 * compared with the existing one by name. Stateless and thread-safe.
 */
public final class DuckDbTypes {

    /** The widest type: every value has an exact text form. */
    public static final String VARCHAR = "VARCHAR";
    /** DuckDB's DECIMAL holds at most 38 digits. */
    public static final int MAX_DECIMAL_PRECISION = 38;

    private static final Map<String, Integer> INTEGER_DIGITS = Map.of("SMALLINT", 5, "INTEGER", 10, "BIGINT", 19);

    private DuckDbTypes() {
    }

    /** The destination column type of {@code column} (see docs/type-mapping.md). */
    public static String ddlType(Column column) {
        return switch (column.type()) {
            case BOOLEAN -> "BOOLEAN";
            case INT16 -> "SMALLINT";
            case INT32 -> "INTEGER";
            case INT64 -> "BIGINT";
            case FLOAT32 -> "FLOAT";
            case FLOAT64 -> "DOUBLE";
            case DECIMAL -> column.precision() >= 1 && column.precision() <= MAX_DECIMAL_PRECISION
                    ? "DECIMAL(" + column.precision() + "," + Math.max(column.scale(), 0) + ")" : VARCHAR;
            case TEXT -> VARCHAR;
            // arrays (and int2vector/oidvector) are JSON array text in a VARCHAR (the seed's rule)
            case JSON -> TypeMapping.isArray(column) ? VARCHAR : "JSON";
            case BYTES -> "BLOB";
            case DATE -> "DATE";
            case TIME -> "TIME";
            case TIMETZ -> "TIME WITH TIME ZONE";
            case TIMESTAMP -> "TIMESTAMP";
            case TIMESTAMPTZ -> "TIMESTAMP WITH TIME ZONE";
            case INTERVAL -> "INTERVAL";
            case UUID -> "UUID";
        };
    }

    /**
     * The type the staging table (filled by the appender) uses for a column whose destination
     * type is {@code ddlType}: values the appender cannot write typed arrive as text and are cast
     * by the merge.
     */
    public static String stagingType(LogicalType type, String ddlType) {
        return type == LogicalType.INTERVAL || type == LogicalType.JSON ? VARCHAR : ddlType;
    }

    /** The narrowest type that holds values of both types; {@code existing} when no change is needed. */
    public static String widen(String existing, String wanted) {
        String a = existing.toUpperCase(Locale.ROOT).trim();
        String b = wanted.toUpperCase(Locale.ROOT).trim();
        if (a.equals(b) || a.equals(VARCHAR)) {
            return existing;
        }
        if (b.equals(VARCHAR)) {
            return VARCHAR;
        }
        if (isFloat(a) || isFloat(b)) {
            return widenFloat(existing, a, b);
        }
        NumericType x = exact(a);
        NumericType y = exact(b);
        if (x != null && y != null) {
            return widenExact(existing, a, x, y);
        }
        return VARCHAR;
    }

    private static String widenFloat(String existing, String a, String b) {
        if (a.equals("DOUBLE") && (b.equals("FLOAT") || b.equals("SMALLINT") || b.equals("INTEGER"))) {
            return existing;
        }
        if (a.equals("FLOAT") && b.equals("SMALLINT")) {
            return existing;
        }
        boolean fitsDouble = isFloat(a) || a.equals("SMALLINT") || a.equals("INTEGER");
        boolean wantedFitsDouble = isFloat(b) || b.equals("SMALLINT") || b.equals("INTEGER");
        return fitsDouble && wantedFitsDouble ? "DOUBLE" : VARCHAR;
    }

    private static String widenExact(String existing, String a, NumericType x, NumericType y) {
        NumericType merged = x.merge(y);
        if (merged.equals(x)) {
            return existing;
        }
        if (INTEGER_DIGITS.containsKey(a) && merged.scale() == 0) {
            for (String candidate : new String[] {"SMALLINT", "INTEGER", "BIGINT"}) {
                if (INTEGER_DIGITS.get(candidate) >= merged.integerDigits()
                        && INTEGER_DIGITS.get(candidate) >= x.integerDigits()) {
                    return candidate;
                }
            }
        }
        if (merged.precision() > MAX_DECIMAL_PRECISION) {
            return VARCHAR;
        }
        return "DECIMAL(" + merged.precision() + "," + merged.scale() + ")";
    }

    private static boolean isFloat(String type) {
        return type.equals("FLOAT") || type.equals("DOUBLE") || type.equals("REAL");
    }

    private static NumericType exact(String type) {
        Integer digits = INTEGER_DIGITS.get(type);
        return digits != null ? NumericType.ofInteger(digits) : NumericType.parseDecimal(type);
    }
}
