"""PDF/X colour fixes on a finished PDF: raster images in the press's CMYK, and for PDF/X-1a no transparency.

WeasyPrint embeds every raster image as DeviceRGB (alpha as an /SMask) and declares colour spaces
(Lab, the ICC profile of @color-profile) whether or not the page uses them. PDF/X-1a allows only
DeviceCMYK, DeviceGray and spot colours and no transparency at all, so the images are converted with
the output intent's own ICC profile (Pillow ImageCms), their alpha composited onto paper white, and
transparency groups dropped when nothing in the file is transparent. What cannot be flattened safely
(opacity below 1, soft masks, blend modes) is left for the preflight to report.
"""
from __future__ import annotations

import io
import zlib
from collections.abc import Iterator
from functools import cache

import pikepdf
from pikepdf import Name

from brochure.errors import BrochureError
from brochure.pdfgraph import content_objects, resource_dicts

RGB_FAMILIES = (Name.DeviceRGB, Name.CalRGB, Name.RGB)  # /RGB: the abbreviation inline images use
DEVICE_FAMILIES = (Name.DeviceCMYK, Name.DeviceGray, Name.Separation, Name.DeviceN, Name.Pattern, Name.Indexed)
OPAQUE_BLEND_MODES = (Name.Normal, Name.Compatible)
PAPER_WHITE: dict[str, int | tuple[int, ...]] = {"RGB": (255, 255, 255), "L": 255, "CMYK": (0, 0, 0, 0)}


def images_to_cmyk(doc: pikepdf.Pdf, *, flatten: bool) -> None:
    """Convert every RGB raster image to the output intent's CMYK; with flatten, composite alpha onto white."""
    for image in [obj for obj in doc.objects if _is_image(obj)]:
        rgb = rgb_space(image.get(Name.ColorSpace)) is not None
        if rgb or (flatten and Name.SMask in image):
            _convert(image, doc, flatten)


def flatten_for_x1a(doc: pikepdf.Pdf) -> None:
    """Drop transparency groups when nothing in the file is transparent, and unused non-device colour spaces."""
    if not any(transparency(doc)):
        for owner in [*(page.obj for page in doc.pages), *(obj for obj in doc.objects if _is_form(obj))]:
            if Name.Group in owner:
                del owner[Name.Group]
    used = _colour_space_names(doc)
    for spaces in _colour_space_dicts(doc):
        for key in list(spaces.keys()):
            if key not in used and not device_space(spaces[key]):
                del spaces[key]


def transparency(doc: pikepdf.Pdf) -> Iterator[str]:
    """What makes the file transparent: soft masks, opacity below 1 and blend modes, one line each."""
    for obj in doc.objects:
        if _is_image(obj) and (Name.SMask in obj or int(obj.get(Name.SMaskInData, 0))):
            yield "image with a soft mask (alpha)"
    for resources in _resource_dicts(doc):
        states = resources.get(Name.ExtGState)
        for key, state in states.items() if isinstance(states, pikepdf.Dictionary) else ():
            yield from (f"graphics state {key}: {what}" for what in _state_transparency(state))


def _state_transparency(state: pikepdf.Object) -> Iterator[str]:
    """Opacity below 1 or a non-normal blend mode in one ExtGState."""
    for key in (Name.CA, Name.ca):
        if key in state and float(state[key]) < 1:
            yield f"opacity {str(key).lstrip('/')} {float(state[key]):g}"
    if isinstance(state.get(Name.SMask), pikepdf.Dictionary):
        yield "soft mask"
    mode = state.get(Name.BM)
    if mode is not None and mode not in OPAQUE_BLEND_MODES and not (isinstance(mode, pikepdf.Array) and all(m in OPAQUE_BLEND_MODES for m in mode)):
        yield f"blend mode {mode}"


def _is_image(obj: pikepdf.Object) -> bool:
    """True for an image XObject (not a stencil mask)."""
    return isinstance(obj, pikepdf.Stream) and obj.get(Name.Subtype) == Name.Image and not obj.get(Name.ImageMask, False)


def _is_form(obj: pikepdf.Object) -> bool:
    """True for a form XObject."""
    return isinstance(obj, pikepdf.Stream) and obj.get(Name.Subtype) == Name.Form


def rgb_space(space: pikepdf.Object | None, resources: pikepdf.Object | None = None) -> str | None:
    """A short name of the RGB colour space `space` is (DeviceRGB, CalRGB, a three-component ICC space, an Indexed space
    over one, a resource name for one of these), or None if it is not RGB: the one RGB test of the print checks and fixes."""
    if space is None:
        return None
    if isinstance(space, pikepdf.Name):
        if space in RGB_FAMILIES:
            return str(space).lstrip("/")
        return rgb_space(named_space(space, resources))
    if isinstance(space, pikepdf.Array) and len(space) > 0:
        family = space[0]
        if family == Name.ICCBased and int(space[1].get(Name.N, 0)) == 3:
            return "ICCBased RGB"
        if family == Name.CalRGB:
            return "CalRGB"
        if family in (Name.Indexed, Name.I) and len(space) > 1:
            base = rgb_space(space[1], resources)
            return f"Indexed {base}" if base else None
    return None


def named_space(name: pikepdf.Name, resources: pikepdf.Object | None) -> pikepdf.Object | None:
    """The colour space a resource name stands for, or None."""
    if not isinstance(resources, pikepdf.Dictionary):
        return None
    spaces = resources.get(Name.ColorSpace)
    return spaces.get(name) if isinstance(spaces, pikepdf.Dictionary) else None


def device_space(space: pikepdf.Object) -> bool:
    """True for a colour space PDF/X-1a allows (device CMYK or grey, spot colours, patterns, indexed)."""
    if isinstance(space, pikepdf.Array) and len(space) > 1 and space[0] == Name.Indexed:
        return device_space(space[1])
    family = space[0] if isinstance(space, pikepdf.Array) and len(space) else space
    return family in DEVICE_FAMILIES


def _convert(image: pikepdf.Object, doc: pikepdf.Pdf, flatten: bool) -> None:
    """Rewrite one image XObject in place: CMYK if it was RGB, alpha composited onto white if flatten."""
    from PIL import Image

    picture = pikepdf.PdfImage(image).as_pil_image()  # type: ignore[arg-type]
    rgb = rgb_space(image.get(Name.ColorSpace)) is not None
    if rgb:
        picture = picture.convert("RGB")
    elif picture.mode not in PAPER_WHITE:
        raise BrochureError(f"cannot convert a {picture.mode} image for print")
    if flatten and Name.SMask in image:
        mask = pikepdf.PdfImage(image.SMask)  # type: ignore[arg-type]
        alpha = mask.as_pil_image().convert("L").resize(picture.size)
        picture = Image.composite(picture, Image.new(picture.mode, picture.size, PAPER_WHITE[picture.mode]), alpha)
        del image[Name.SMask]
    if rgb:
        picture = _rgb_to_cmyk(_output_profile(doc)).apply(picture)
    image.write(zlib.compress(picture.tobytes(), 9), filter=Name.FlateDecode)
    image.ColorSpace = Name.DeviceCMYK if picture.mode == "CMYK" else Name.DeviceGray
    image.BitsPerComponent = 8
    for key in (Name.Decode, Name.DecodeParms, Name.SMaskInData):
        if key in image:
            del image[key]


def rgb_to_cmyk_transform(doc: pikepdf.Pdf):  # type: ignore[no-untyped-def]
    """The sRGB to output-intent CMYK transform of this file (BrochureError when it has no PDF/X output intent)."""
    return _rgb_to_cmyk(_output_profile(doc))


def _output_profile(doc: pikepdf.Pdf) -> bytes:
    """The ICC profile of the file's GTS_PDFX output intent: the press condition images are converted to."""
    for intent in doc.Root.get(Name.OutputIntents, ()):
        profile = intent.get(Name.DestOutputProfile)
        if intent.get(Name.S) == Name.GTS_PDFX and isinstance(profile, pikepdf.Stream):
            return profile.read_bytes()
    raise BrochureError("cannot convert images to CMYK: the PDF has no PDF/X output intent profile")


@cache
def _rgb_to_cmyk(cmyk_profile: bytes):  # type: ignore[no-untyped-def]
    """sRGB (what WeasyPrint's DeviceRGB images are) to the press profile, relative colorimetric with BPC."""
    from PIL import ImageCms

    return ImageCms.buildTransform(
        ImageCms.createProfile("sRGB"), ImageCms.ImageCmsProfile(io.BytesIO(cmyk_profile)), "RGB", "CMYK",
        renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC, flags=ImageCms.Flags.BLACKPOINTCOMPENSATION)


def _content_owners(doc: pikepdf.Pdf) -> Iterator[pikepdf.Object]:
    """Every page and every form XObject, tiling pattern, Type3 font or soft mask they reach: all content streams."""
    yield from (page.obj for page in doc.pages)
    yield from (owner for _, owner, _ in content_objects(doc) if isinstance(owner, pikepdf.Stream))  # not a Type3 font's dict


def _colour_space_names(doc: pikepdf.Pdf) -> set[pikepdf.Object]:
    """Resource names any content stream selects with cs/CS (or an inline image's /CS)."""
    used = set()
    for owner in _content_owners(doc):
        for instruction in pikepdf.parse_content_stream(owner):
            op = str(instruction.operator)
            if op in ("cs", "CS") and instruction.operands:
                used.add(instruction.operands[0])
            elif op == "INLINE IMAGE":
                space = instruction.operands[0].obj.get(Name.CS)
                if isinstance(space, pikepdf.Name):
                    used.add(space)
    return used


def _resource_dicts(doc: pikepdf.Pdf) -> Iterator[pikepdf.Dictionary]:
    """Each resource dictionary of a page or the content objects it reaches (shared indirect ones once)."""
    seen = set()
    for _, resources in resource_dicts(doc):
        if not isinstance(resources, pikepdf.Dictionary):
            continue
        if resources.is_indirect:
            if resources.objgen in seen:
                continue
            seen.add(resources.objgen)
        yield resources


def _colour_space_dicts(doc: pikepdf.Pdf) -> Iterator[pikepdf.Dictionary]:
    """Each /ColorSpace resource dictionary."""
    for resources in _resource_dicts(doc):
        spaces = resources.get(Name.ColorSpace)
        if isinstance(spaces, pikepdf.Dictionary):
            yield spaces


def set_output_intent(doc: pikepdf.Pdf, profile: bytes, identifier: str, condition: str, registry: str) -> None:
    """Make the file's one GTS_PDFX output intent the press condition `identifier` (its ICC registry name) with its
    profile: WeasyPrint 70 names the intent after the profile's model or description tag, whichever profile the CSS
    gave; the stock decides it here, and the job ticket names the same condition."""
    stream = doc.make_stream(profile)
    stream.N = 4
    intent = pikepdf.Dictionary(Type=Name.OutputIntent, S=Name.GTS_PDFX, OutputConditionIdentifier=pikepdf.String(identifier),
                                OutputCondition=pikepdf.String(condition), Info=pikepdf.String(f"{identifier}: {condition}"),
                                RegistryName=pikepdf.String(registry), DestOutputProfile=stream)
    doc.Root.OutputIntents = pikepdf.Array([doc.make_indirect(intent)])


def output_condition(doc: pikepdf.Pdf) -> str | None:
    """The OutputConditionIdentifier of the file's GTS_PDFX output intent, or None."""
    for intent in doc.Root.get(Name.OutputIntents, ()):
        if intent.get(Name.S) == Name.GTS_PDFX and Name.OutputConditionIdentifier in intent:
            return str(intent.OutputConditionIdentifier)
    return None
