import gzip
import io
import tarfile
from pathlib import Path

import numpy as np
import pytest
import rasterio
import shapely

from sacnn_dagster.geo.grid import lattice_window
from sacnn_dagster.io.input_folder import LocalFolder
from sacnn_dagster.nightlights.source import EogNamedSource

STEM = "SVDNB_npp_{m}01-{m}{d}_75N060E_vcmcfg_v10_c{stamp}"
AREA = shapely.box(121.2, 31.1, 121.3, 31.2)


def tif_bytes(array, grid, dtype, crs="EPSG:4326"):
    buf = io.BytesIO()
    with rasterio.MemoryFile() as mem:
        with mem.open(
            driver="GTiff",
            width=grid.width,
            height=grid.height,
            count=1,
            dtype=dtype,
            crs=crs,
            transform=grid.transform,
        ) as dst:
            dst.write(array.astype(dtype), 1)
        buf.write(mem.read())
    return buf.getvalue()


@pytest.fixture
def cut():
    """A cut of the EOG lattice larger than the area, with distinct values per pixel."""
    grid = lattice_window((121.1, 31.0, 121.4, 31.3))
    radiance = np.arange(grid.width * grid.height, dtype=np.float32).reshape(grid.shape)
    return grid, radiance, np.full(grid.shape, 7, dtype=np.uint16)


def write_layout(folder: Path, kind: str, grid, radiance, coverage, stamp="201402101200"):
    stem = STEM.format(m="201401", d="31", stamp=stamp)
    rad, cov = tif_bytes(radiance, grid, "float32"), tif_bytes(coverage, grid, "uint16")
    folder.mkdir(parents=True, exist_ok=True)
    if kind == "tif":
        (folder / f"{stem}.avg_rade9h.tif").write_bytes(rad)
        (folder / f"{stem}.cf_cvg.tif").write_bytes(cov)
    elif kind == "gz":
        stem = stem.replace("75N060E", "global")
        (folder / f"{stem}.avg_rade9h.tif.gz").write_bytes(gzip.compress(rad, mtime=0))
        (folder / f"{stem}.cf_cvg.tif.gz").write_bytes(gzip.compress(cov, mtime=0))
    else:
        with tarfile.open(folder / f"{stem}.tgz", "w:gz") as tar:
            for layer, data in (("avg_rade9h", rad), ("cf_cvg", cov)):
                info = tarfile.TarInfo(f"{stem}.{layer}.tif")
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))


def source(folder):
    return EogNamedSource(LocalFolder(folder), ("npp",), ("vcmcfg",), AREA.bounds)


@pytest.mark.parametrize("kind", ["tif", "gz", "tgz"])
def test_reads_only_the_area_window_from_every_encoding(tmp_path, cut, kind):
    grid, radiance, coverage = cut
    write_layout(tmp_path / "nl" / "2014" / "201401", kind, grid, radiance, coverage)
    before = sorted(p.name for p in (tmp_path / "nl").rglob("*") if p.is_file())
    src = source(tmp_path / "nl")
    assert list(src.available_months()) == ["2014-01"]
    comp = src.fetch("2014-01", AREA).composite
    assert comp.grid.width < grid.width and comp.grid.height < grid.height
    row, col = comp.grid.offset_in(grid)
    expected = radiance[row : row + comp.grid.height, col : col + comp.grid.width]
    inside = np.isfinite(comp.radiance)
    assert inside.mean() > 0.9
    np.testing.assert_array_equal(comp.radiance[inside], expected[inside])
    assert (comp.coverage[inside] == 7).all()
    # inputs are left exactly as they were: no GDAL sidecar (.properties, .aux.xml) written beside them
    assert sorted(p.name for p in (tmp_path / "nl").rglob("*") if p.is_file()) == before


def test_grids_on_different_lattices_are_refused_not_resampled(cut):
    from sacnn_dagster.geo.grid import Grid

    grid = cut[0]
    black_marble_like = Grid(west=121.0, north=31.5, res=grid.res, width=10, height=10)  # edges on degrees
    with pytest.raises(ValueError, match="not on the same pixel lattice"):
        black_marble_like.offset_in(grid)
    same = Grid(west=grid.west + 3 * grid.res, north=grid.north - 2 * grid.res, res=grid.res, width=5, height=5)
    assert same.offset_in(grid) == (2, 3)


def test_html_login_page_under_a_raster_name_is_a_clear_error(tmp_path):
    stem = STEM.format(m="201401", d="31", stamp="201402101200")
    (tmp_path / f"{stem}.avg_rade9h.tif").write_text("<html><body>Please log in</body></html>")
    with pytest.raises(ValueError, match=f"{stem}.avg_rade9h.tif: cannot be read as a raster"):
        source(tmp_path).fetch("2014-01", AREA)


def test_composite_not_covering_the_area(tmp_path):
    far = lattice_window((100.0, 20.0, 100.1, 20.1))
    write_layout(tmp_path, "tif", far, np.ones(far.shape), np.ones(far.shape))
    with pytest.raises(ValueError, match="2014-01: the composite .* does not cover the area of interest"):
        source(tmp_path).fetch("2014-01", AREA)


def test_projected_raster_is_refused_naming_the_file(tmp_path, cut):
    grid, radiance, _ = cut
    stem = STEM.format(m="201401", d="31", stamp="201402101200")
    (tmp_path / f"{stem}.avg_rade9h.tif").write_bytes(tif_bytes(radiance, grid, "float32", crs="EPSG:3857"))
    with pytest.raises(ValueError, match=f"{stem}.avg_rade9h.tif: CRS .* is not EPSG:4326"):
        source(tmp_path).fetch("2014-01", AREA)
