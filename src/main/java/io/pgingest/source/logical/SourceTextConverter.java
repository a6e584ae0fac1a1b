package io.pgingest.source.logical;

import io.debezium.connector.postgresql.UnchangedToastedReplicationMessageColumn;
import io.debezium.spi.converter.CustomConverter;
import io.debezium.spi.converter.RelationalColumn;
import io.pgingest.mapping.ArrayJson;
import org.apache.kafka.connect.data.SchemaBuilder;

import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A Debezium custom converter (registered by {@link DebeziumProperties}) for the columns whose values Debezium would
 * turn into forms that lose what the source holds; it takes the text PostgreSQL sent instead and writes what a table
 * source reads for the same value (docs/type-mapping.md, "Streamed values"):
 * <ul>
 * <li>arrays, as {@code array_to_json} text ({@link ArrayJson}; elements of user-defined types as strings): Debezium 3.4
 * loses the elements of arrays of more than one dimension and sends numeric, jsonb and timestamp elements in its own
 * forms;</li>
 * <li>int2vector and oidvector, as JSON arrays of numbers (Debezium sends them empty);</li>
 * <li>bit and bit varying, as their text (Debezium pads bit varying to the column's limit and sends bit(1) as a
 * boolean), and a few extension types whose text Debezium turns into its own forms ({@link #AS_TEXT}).</li>
 * </ul>
 * An unchanged TOASTed value (not sent by the server) arrives as Debezium's marker object and leaves as
 * {@link DebeziumValues#UNAVAILABLE}, so that the destination keeps its value: left to Debezium, arrays of int4, int8,
 * date and uuid got placeholders of their element type (the placeholder's bytes as numbers, a UUID made of them) that
 * nothing could tell from real values, and arrays of other types failed to convert (the column sent NULL). Columns of
 * other types keep Debezium's conversion.
 */
public final class SourceTextConverter implements CustomConverter<SchemaBuilder, RelationalColumn> {

    /**
     * Types whose text Debezium receives as a string and then turns into a form of its own, kept as that text (what a
     * table source reads): bit strings; hstore (Debezium: a JSON map); PostGIS's geometry and geography (a Struct of
     * WKB and SRID; the text is the hex EWKB their output prints) and pgvector's types (lists of numbers). The last
     * two are not installed on the test machines: only bit, varbit and hstore are covered by tests.
     */
    private static final Set<String> AS_TEXT = Set.of("bit", "varbit", "hstore", "geometry", "geography", "vector",
            "halfvec", "sparsevec");

    /** The property naming the pipeline's slot, under which {@link #relationTypes} are kept. */
    static final String SLOT = "slot";

    /**
     * Per slot, per table (Debezium's {@code schema.table}), the type OID of each column (by Debezium's name) of the
     * relation message Debezium last built the table's schema from: what a change of a table dropped since was written
     * with, which the catalog no longer tells ({@link SchemaTracker#refresh}).
     */
    private static final Map<String, Map<String, Map<String, Integer>>> RELATION_TYPES = new ConcurrentHashMap<>();

    private String slot = "";

    @Override
    public void configure(Properties props) {
        slot = props.getProperty(SLOT, "");
    }

    /** The column type OIDs of the last relation message of {@code table} (Debezium's {@code schema.table}) on the slot. */
    static Map<String, Integer> relationTypes(String slot, String table) {
        return RELATION_TYPES.getOrDefault(slot, Map.of()).getOrDefault(table, Map.of());
    }

    @Override
    public void converterFor(RelationalColumn column, ConverterRegistration<SchemaBuilder> registration) {
        RELATION_TYPES.computeIfAbsent(slot, s -> new ConcurrentHashMap<>())
                .computeIfAbsent(column.dataCollection(), t -> new ConcurrentHashMap<>())
                .put(column.name(), column.nativeType());
        String type = column.typeName();
        if (type == null) {
            return;
        }
        if (column.jdbcType() == java.sql.Types.ARRAY) {
            // an array type is named after its element with a leading underscore; a domain over an array type is not
            String elementType = type.startsWith("_") ? type.substring(1) : "";
            ArrayJson.Element known = ArrayJson.element(elementType);
            // elements of user-defined types (and of domains over arrays) as strings of their text: exact for enums;
            // ReadBackColumns reads the others (array_to_json writes them from their type's definition)
            ArrayJson.Element element = known == null ? ArrayJson.Element.TEXT : known;
            char delimiter = ArrayJson.delimiter(elementType);
            registration.register(SchemaBuilder.string().optional(),
                    v -> convert(v, text -> ArrayJson.of(text, element, delimiter)));
        } else if (type.equals("int2vector") || type.equals("oidvector")) {
            registration.register(SchemaBuilder.string().optional(), v -> convert(v, ArrayJson::ofVector));
        } else if (AS_TEXT.contains(type)) {
            registration.register(SchemaBuilder.string().optional(), v -> convert(v, text -> text));
        } else if (GEOMETRIC.contains(type)) {
            registration.register(SchemaBuilder.string().optional(), v -> convert(v, SourceTextConverter::geometricText));
        }
    }

    /** Geometric types but point (which Debezium sends as a Struct of its coordinates: {@link DebeziumValues}). */
    private static final Set<String> GEOMETRIC = Set.of("line", "lseg", "box", "path", "polygon", "circle");

    /** A number as Java prints a double ({@code 1.0}, {@code -2.5E-7}, {@code Infinity}, {@code NaN}). */
    private static final java.util.regex.Pattern JAVA_DOUBLE =
            java.util.regex.Pattern.compile("-?(?:Infinity|NaN|[0-9]+(?:\\.[0-9]+)?(?:E-?[0-9]+)?)");

    /**
     * A geometric value's text as PostgreSQL prints it: Debezium passes pgjdbc's object of it (PGbox, ...), whose text
     * has Java's doubles ({@code (1.0,1.0),(0.0,0.0)} for PostgreSQL's {@code (1,1),(0,0)}); a DuckDB destination, which
     * keeps the text, then held streamed rows unlike loaded ones. Each number is printed again as PostgreSQL does.
     */
    static String geometricText(String javaText) {
        java.util.regex.Matcher m = JAVA_DOUBLE.matcher(javaText);
        StringBuilder out = new StringBuilder(javaText.length());
        while (m.find()) {
            m.appendReplacement(out, DebeziumValues.floatText(Double.parseDouble(m.group())));
        }
        m.appendTail(out);
        return out.toString();
    }

    private static Object convert(Object v, java.util.function.UnaryOperator<String> fromText) {
        if (v == null) {
            return null;
        }
        if (UnchangedToastedReplicationMessageColumn.isUnchangedToastedValue(v)) {
            return DebeziumValues.UNAVAILABLE;
        }
        // a String, or for arrays a PgArray made of the text the server sent (its toString is that text); Debezium reads
        // no values by JDBC here (pg-ingest loads tables itself: snapshot.mode no_data, no incremental snapshots)
        return fromText.apply(v.toString());
    }
}
