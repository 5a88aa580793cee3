/*
 * gradebook.c - the JSON side of make grade (scripts/grade.sh drives it).
 *
 *   gradebook merge OUT LABFILE...
 *       Each LABFILE is one checker's `checkN --json` report (Gradescope's
 *       results.json for that lab alone).  OUT gets all their tests, in the
 *       order given, the total score, and one summary line per lab; the
 *       one-line summary of the whole goes to stdout.
 *
 *   gradebook zero OUT LAB TITLE MESSAGE  < exercises
 *       A lab whose checker could not run (it did not build, or it died
 *       before its first verdict): every exercise, one "id<TAB>function<TAB>title"
 *       line each on stdin, scores 0 with MESSAGE as its output.
 *
 * Exit status 0, or 1 (with the reason) when a file cannot be read or written.
 */
#include <cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *read_all(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	size_t cap = 1 << 16, used = 0;
	char *text = malloc(cap);
	size_t n;
	while (text && (n = fread(text + used, 1, cap - used - 1, f)) > 0) {
		used += n;
		if (used + 1 == cap) {
			char *bigger = realloc(text, cap *= 2);
			if (!bigger)
				free(text);
			text = bigger;
		}
	}
	fclose(f);
	if (text)
		text[used] = '\0';
	return text;
}

static int write_doc(const char *path, cJSON *doc)
{
	char *text = cJSON_Print(doc);
	char tmp[4200];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	FILE *f = text ? fopen(tmp, "w") : NULL;
	int ok = f && fprintf(f, "%s\n", text) >= 0;
	if (f)
		ok = fclose(f) == 0 && ok;
	free(text);
	if (!ok || rename(tmp, path) != 0) {
		fprintf(stderr, "gradebook: cannot write %s: %s\n", path, strerror(errno));
		return 1;
	}
	return 0;
}

static double number_in(const cJSON *obj, const char *key)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
	return cJSON_IsNumber(item) ? item->valuedouble : 0;
}

static int merge(const char *out, int nfiles, char **files)
{
	cJSON *doc = cJSON_CreateObject();
	cJSON *tests = cJSON_AddArrayToObject(doc, "tests");
	cJSON *labs = cJSON_CreateArray();
	double score = 0, max = 0;
	char output[8192] = "", summary[2048] = "";
	for (int i = 0; i < nfiles; i++) {
		char *text = read_all(files[i]);
		cJSON *lab = text ? cJSON_Parse(text) : NULL;
		free(text);
		const cJSON *its = cJSON_GetObjectItemCaseSensitive(lab, "tests");
		if (!cJSON_IsArray(its)) {
			fprintf(stderr, "gradebook: %s is not a checker's --json report\n", files[i]);
			return 1;
		}
		const cJSON *t;
		double lab_score = 0, lab_max = 0;
		cJSON_ArrayForEach(t, its) {
			lab_score += number_in(t, "score");
			lab_max += number_in(t, "max_score");
			cJSON_AddItemToArray(tests, cJSON_Duplicate(t, 1));
		}
		score += lab_score;
		max += lab_max;
		const cJSON *extra = cJSON_GetObjectItemCaseSensitive(lab, "extra_data");
		const cJSON *line = cJSON_GetObjectItemCaseSensitive(lab, "output");
		int number = (int)number_in(extra, "lab");
		size_t used = strlen(output);
		snprintf(output + used, sizeof output - used, "%s%s", used ? "\n" : "",
			 cJSON_IsString(line) ? line->valuestring : files[i]);
		used = strlen(summary);
		snprintf(summary + used, sizeof summary - used, "%slab %d %g/%g", used ? ", " : "",
			 number, lab_score, lab_max);
		cJSON *entry = cJSON_CreateObject();
		cJSON_AddNumberToObject(entry, "lab", number);
		cJSON_AddNumberToObject(entry, "score", lab_score);
		cJSON_AddNumberToObject(entry, "max_score", lab_max);
		cJSON_AddItemToArray(labs, entry);
		cJSON_Delete(lab);
	}
	cJSON_AddNumberToObject(doc, "score", score);
	cJSON_AddStringToObject(doc, "output", output);
	cJSON_AddStringToObject(doc, "visibility", "visible");
	cJSON_AddStringToObject(doc, "stdout_visibility", "visible");
	cJSON *extra = cJSON_AddObjectToObject(doc, "extra_data");
	cJSON_AddNumberToObject(extra, "max_score", max);
	cJSON_AddItemToObject(extra, "labs", labs);
	int rc = write_doc(out, doc);
	cJSON_Delete(doc);
	if (rc == 0)
		printf("grade: %g/%g exercises done (%s); %s\n", score, max, summary, out);
	return rc;
}

static int zero(const char *out, int number, const char *title, const char *message)
{
	cJSON *doc = cJSON_CreateObject();
	cJSON *tests = cJSON_AddArrayToObject(doc, "tests");
	char line[1024];
	int count = 0;
	while (fgets(line, sizeof line, stdin)) {
		line[strcspn(line, "\n")] = '\0';
		char *function = strchr(line, '\t');
		char *what = function ? strchr(function + 1, '\t') : NULL;
		if (!what)
			continue;
		*function++ = '\0';
		*what++ = '\0';
		char name[1200];
		snprintf(name, sizeof name, "%s %s - %s", line, function, what);
		cJSON *t = cJSON_CreateObject();
		cJSON_AddStringToObject(t, "name", name);
		cJSON_AddStringToObject(t, "number", line);
		cJSON_AddNumberToObject(t, "score", 0);
		cJSON_AddNumberToObject(t, "max_score", 1);
		cJSON_AddStringToObject(t, "status", "failed");
		cJSON_AddStringToObject(t, "output", message);
		cJSON_AddStringToObject(t, "visibility", "visible");
		cJSON_AddItemToArray(tests, t);
		count++;
	}
	char summary[512];
	snprintf(summary, sizeof summary, "Lab %d (%s): 0/%d exercises done: %s", number, title,
		 count, message);
	cJSON_AddNumberToObject(doc, "score", 0);
	cJSON_AddStringToObject(doc, "output", summary);
	cJSON_AddStringToObject(doc, "visibility", "visible");
	cJSON *extra = cJSON_AddObjectToObject(doc, "extra_data");
	cJSON_AddNumberToObject(extra, "lab", number);
	cJSON_AddStringToObject(extra, "title", title);
	cJSON_AddNumberToObject(extra, "max_score", count);
	int rc = write_doc(out, doc);
	cJSON_Delete(doc);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "merge") == 0)
		return merge(argv[2], argc - 3, argv + 3);
	if (argc == 6 && strcmp(argv[1], "zero") == 0)
		return zero(argv[2], atoi(argv[3]), argv[4], argv[5]);
	fprintf(stderr, "usage: gradebook merge OUT LABFILE...\n"
		"       gradebook zero OUT LAB TITLE MESSAGE < \"id<TAB>function<TAB>title\" lines\n");
	return 2;
}
