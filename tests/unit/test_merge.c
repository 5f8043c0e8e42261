/* Merging two records: references move, empty fields fill, nothing is lost. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

typedef tu_fixture fixture;

static cl_record_id make(cl_store *s, uint8_t type, const cl_assign *a, size_t n)
{
    cl_record_id id;
    int rc = cl_record_put(s, type, NULL, a, n, &id);
    if (rc)
        fail_msg("put: %s", cl_errmsg());
    return id;
}

static void text(const cl_record_id *id, char out[CL_RECORD_ID_TEXT])
{
    cl_record_id_format(id, out);
}

static void test_merge_contacts(void **state)
{
    fixture *f = *state;
    char keep_t[CL_RECORD_ID_TEXT], drop_t[CL_RECORD_ID_TEXT], co_t[CL_RECORD_ID_TEXT];
    cl_record_id co = make(f->s, CL_T_COMPANY, (cl_assign[]){{"name", "Acme"}}, 1);
    text(&co, co_t);
    cl_record_id keep = make(f->s, CL_T_CONTACT,
                             (cl_assign[]){{"name", "Jane Doe"}, {"email", "jane@acme.example"}, {"tags", "vip"}}, 3);
    cl_record_id drop = make(f->s, CL_T_CONTACT,
                             (cl_assign[]){{"name", "J. Doe"}, {"email", "jd@home.example"}, {"phone", "+1 555 0100"},
                                           {"company", co_t}, {"tags", "golf,vip"}, {"notes", "Two kids"}}, 6);
    text(&keep, keep_t);
    text(&drop, drop_t);
    /* things that point at drop: an interaction, a task, a deal, a referral,
     * and keep itself referred by drop */
    cl_record_id in = make(f->s, CL_T_INTERACTION, (cl_assign[]){{"kind", "call"}, {"summary", "Intro"}, {"contact", drop_t}}, 3);
    cl_record_id task = make(f->s, CL_T_TASK, (cl_assign[]){{"title", "Follow up"}, {"contact", drop_t}}, 2);
    cl_record_id deal = make(f->s, CL_T_DEAL, (cl_assign[]){{"title", "Big one"}, {"contact", drop_t}}, 2);
    cl_record_id friend = make(f->s, CL_T_CONTACT, (cl_assign[]){{"name", "Bob"}, {"referred_by", drop_t}}, 2);
    assert_int_equal(cl_record_put(f->s, CL_T_CONTACT, &keep, (cl_assign[]){{"referred_by", drop_t}}, 1, NULL), CL_OK);

    cl_merge_result res;
    int rc = cl_record_merge(f->s, &keep, &drop, &res);
    if (rc)
        fail_msg("merge: %s", cl_errmsg());
    assert_int_equal(res.refs_moved, 5);
    cl_record *k = tu_load(f->s, &keep);
    assert_string_equal(k->values[CL_F_NAME], "Jane Doe");
    assert_string_equal(k->values[CL_F_EMAIL], "jane@acme.example");   /* kept */
    assert_string_equal(k->values[CL_F_PHONE], "+1 555 0100");         /* filled */
    assert_string_equal(k->values[CL_F_COMPANY], co_t);                /* filled */
    assert_string_equal(k->values[CL_F_TAGS], "vip,golf");             /* united */
    assert_non_null(strstr(k->values[CL_F_NOTES], "Two kids"));
    assert_non_null(strstr(k->values[CL_F_NOTES], "email: jd@home.example")); /* not lost */
    assert_non_null(strstr(k->values[CL_F_NOTES], "name: J. Doe"));
    assert_null(k->values[CL_F_REFERRED_BY]); /* nobody refers himself */
    cl_record_free(k);
    const cl_record_id *moved[] = {&in, &task, &deal};
    for (int i = 0; i < 3; i++) {
        cl_record *r = tu_load(f->s, moved[i]);
        assert_string_equal(r->values[CL_F_CONTACT], keep_t);
        cl_record_free(r);
    }
    cl_record *b = tu_load(f->s, &friend);
    assert_string_equal(b->values[CL_F_REFERRED_BY], keep_t);
    cl_record_free(b);
    cl_record *d = tu_load(f->s, &drop);
    assert_true(d->deleted);
    cl_record_free(d);
}

static void test_merge_companies(void **state)
{
    fixture *f = *state;
    char drop_t[CL_RECORD_ID_TEXT], keep_t[CL_RECORD_ID_TEXT];
    cl_record_id keep = make(f->s, CL_T_COMPANY, (cl_assign[]){{"name", "Acme"}}, 1);
    cl_record_id drop = make(f->s, CL_T_COMPANY, (cl_assign[]){{"name", "ACME Inc"}, {"website", "https://acme.example"}}, 2);
    text(&drop, drop_t);
    text(&keep, keep_t);
    cl_record_id c = make(f->s, CL_T_CONTACT, (cl_assign[]){{"name", "Jane"}, {"company", drop_t}}, 2);
    cl_record_id deal = make(f->s, CL_T_DEAL, (cl_assign[]){{"title", "Deal"}, {"company", drop_t}}, 2);
    assert_int_equal(cl_record_merge(f->s, &keep, &drop, NULL), CL_OK);
    cl_record *r = tu_load(f->s, &c);
    assert_string_equal(r->values[CL_F_COMPANY], keep_t);
    cl_record_free(r);
    r = tu_load(f->s, &deal);
    assert_string_equal(r->values[CL_F_COMPANY], keep_t);
    cl_record_free(r);
    r = tu_load(f->s, &keep);
    assert_string_equal(r->values[CL_F_WEBSITE], "https://acme.example");
    cl_record_free(r);
}

static void test_merge_refused(void **state)
{
    fixture *f = *state;
    char before[65], after[65];
    cl_record_id a = make(f->s, CL_T_CONTACT, (cl_assign[]){{"name", "A"}}, 1);
    cl_record_id b = make(f->s, CL_T_COMPANY, (cl_assign[]){{"name", "B"}}, 1);
    cl_record_id c = make(f->s, CL_T_CONTACT, (cl_assign[]){{"name", "C"}}, 1);
    cl_record_id nobody;
    assert_int_equal(cl_record_id_new(&nobody), CL_OK);
    assert_int_equal(cl_record_delete(f->s, &c), CL_OK);
    tu_digest(f->s, before);
    assert_int_equal(cl_record_merge(f->s, &a, &a, NULL), CL_EINVAL);
    assert_int_equal(cl_record_merge(f->s, &a, &b, NULL), CL_EINVAL);
    assert_non_null(strstr(cl_errmsg(), "cannot merge a contact with a company"));
    assert_int_equal(cl_record_merge(f->s, &a, &c, NULL), CL_EINVAL);
    assert_non_null(strstr(cl_errmsg(), "deleted"));
    assert_int_equal(cl_record_merge(f->s, &a, &nobody, NULL), CL_ENOTFOUND);
    tu_digest(f->s, after);
    assert_string_equal(before, after);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_merge_contacts, tu_store_setup, tu_store_teardown),
        cmocka_unit_test_setup_teardown(test_merge_companies, tu_store_setup, tu_store_teardown),
        cmocka_unit_test_setup_teardown(test_merge_refused, tu_store_setup, tu_store_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
