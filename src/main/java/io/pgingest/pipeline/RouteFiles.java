package io.pgingest.pipeline;

import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which route file declares which pipeline, read from the files of Camel Main's
 * {@code routes-include-pattern} before the application starts, so that startup errors can
 * name the file (Camel does not keep the file of a route made from a template). Also reports
 * a malformed YAML file as one line naming the file, line and column. Immutable.
 */
public final class RouteFiles {

    private final Map<String, String> fileByPipeline;

    private RouteFiles(Map<String, String> fileByPipeline) {
        this.fileByPipeline = Map.copyOf(fileByPipeline);
    }

    /** The file (relative to the working directory when inside it) declaring a pipeline, or null. */
    public String fileOf(String pipeline) {
        return fileByPipeline.get(pipeline);
    }

    /**
     * Reads every {@code file:} location of a comma-separated include pattern whose last path
     * element may hold wildcards ({@code file:routes/*.camel.yaml}); other locations are skipped.
     * Throws {@link IllegalArgumentException} for a malformed file.
     */
    public static RouteFiles scan(String includePattern) throws IOException {
        Map<String, String> found = new LinkedHashMap<>();
        for (Path file : files(includePattern)) {
            for (String pipeline : pipelinesIn(file)) {
                found.putIfAbsent(pipeline, display(file));
            }
        }
        return new RouteFiles(found);
    }

    static List<Path> files(String includePattern) throws IOException {
        List<Path> files = new ArrayList<>();
        if (includePattern == null) {
            return files;
        }
        for (String location : includePattern.split(",")) {
            String l = location.trim();
            if (!l.startsWith("file:")) {
                continue;
            }
            Path pattern = Paths.get(l.substring(5));
            Path dir = pattern.getParent() == null ? Paths.get(".") : pattern.getParent();
            if (!Files.isDirectory(dir)) {
                continue;
            }
            try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir, pattern.getFileName().toString())) {
                stream.forEach(files::add);
            }
        }
        files.sort(null);
        return files;
    }

    private static List<String> pipelinesIn(Path file) throws IOException {
        List<String> names = new ArrayList<>();
        Object document;
        try {
            document = new Load(LoadSettings.builder().setLabel(display(file)).build()).loadFromString(Files.readString(file));
        } catch (YamlEngineException e) {
            throw new IllegalArgumentException(display(file) + ": malformed YAML: " + e.getMessage().replace('\n', ' ')
                    .replaceAll(" +", " "), e);
        }
        if (document instanceof List<?> items) {
            for (Object item : items) {
                String name = pipelineOf(item);
                if (name != null) {
                    names.add(name);
                }
            }
        }
        return names;
    }

    /** {@code templatedRoute.parameters[name=pipeline].value}, or the path of a {@code from: pgingest:<name>} URI. */
    private static String pipelineOf(Object item) {
        if (!(item instanceof Map<?, ?> map)) {
            return null;
        }
        if (map.get("templatedRoute") instanceof Map<?, ?> templated && templated.get("parameters") instanceof List<?> parameters) {
            for (Object p : parameters) {
                if (p instanceof Map<?, ?> parameter && "pipeline".equals(parameter.get("name")) && parameter.get("value") != null) {
                    return parameter.get("value").toString();
                }
            }
        }
        if (map.get("route") instanceof Map<?, ?> route && route.get("from") instanceof Map<?, ?> from
                && from.get("uri") instanceof String uri && uri.startsWith("pgingest:")) {
            String rest = uri.substring("pgingest:".length());
            int q = rest.indexOf('?');
            return q < 0 ? rest : rest.substring(0, q);
        }
        return null;
    }

    private static String display(Path file) {
        Path cwd = Paths.get("").toAbsolutePath();
        Path absolute = file.toAbsolutePath().normalize();
        return absolute.startsWith(cwd) ? cwd.relativize(absolute).toString() : absolute.toString();
    }
}
